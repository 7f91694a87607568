"""Placing a due callback: calling hours, a reserved agent, one dial, the outcome.

The order matters for "never dialled twice": in ONE transaction the
callback moves PENDING -> DIALING by compare-and-set (attempt number
included) and the run key ``callback:<id>:attempt:<n>`` is claimed; only
after that commits is the Originate sent.  Two dispatchers, a restart or a
duplicate job all lose the compare-and-set.  An unknown outcome (the AMI
link dropped) leaves the callback DIALING until ``close_stale`` fails it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ..access.dialling import DiallingPolicy, NumberRefused, record_refusal
from ..config import CallbackSettings
from ..db import rowcount, transaction
from ..i18n import N_, Message, at, coded, phone, say_later
from ..models import Call, Callback, CallbackAttempt, CallbackStatus, Queue, Ticket, utcnow
from ..tickets.service import TicketService
from . import runs
from .assignment import Engine, TicketNeeds
from .calendar import DailyWindow
from .dialer import Dialer, DialRequest, DialResult, Outcome
from .load import LiveAgents, build_snapshot
from .notifier import DISPATCHER, DispatchNotifier

log = logging.getLogger(__name__)
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Dials that never reached Asterisk (link down) are retried at most this many extra times.
NOT_SENT_LIMIT = 10
# Without a PBX to dial through, look again this much later.
NO_DIALER_WAIT = dt.timedelta(minutes=5)


@dataclass
class CallbackPlacer:
    cfg: CallbackSettings
    engine: Engine
    dialer: Dialer | None
    window: DailyWindow
    context: str  # the PBX's callback_context
    endpoint: str  # PJSIP endpoint reaching customers
    tickets: TicketService = field(kw_only=True)
    notifier: DispatchNotifier = field(kw_only=True)
    policy: DiallingPolicy = field(kw_only=True)
    live: LiveAgents | None = None
    _reserved: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, factory: sessionmaker[Session], callback_id: int, now: dt.datetime) -> dt.datetime | None:
        """Do what is due for one callback; returns when to run again (None: never)."""
        with transaction(factory) as session:
            started = self._start(session, callback_id, now)
        if not isinstance(started, DialRequest):
            return started
        agent = started.variables.get("CC_AGENT_ID")
        if self.dialer is None:
            raise RuntimeError("no dialer")  # _start never hands out a request without one
        try:
            result = self.dialer.dial(started)
        except Exception as exc:  # it may have rung: treat as unknown, never redial
            log.exception("callback %s: dialer error", callback_id)
            result = DialResult(Outcome.UNKNOWN, f"dialer error: {exc}")
        finally:
            if agent:
                with self._lock:
                    self._reserved.discard(int(agent))
        with transaction(factory) as session:
            return self._finish(session, callback_id, result, utcnow())

    # -- before the dial -------------------------------------------------------------
    def _start(self, session: Session, callback_id: int, now: dt.datetime) -> DialRequest | dt.datetime | None:
        cb = session.get(Callback, callback_id)
        if cb is None or cb.status is not CallbackStatus.PENDING:
            return None
        if self.dialer is None:
            return self._later(session, cb, now + NO_DIALER_WAIT, "no PBX configured for dialling")
        due = cb.next_attempt_at or cb.due_at
        if due > now + dt.timedelta(seconds=1):
            return due
        if not self.window.allows(now):
            return self._later(session, cb, self.window.next_allowed(now), "outside calling hours")
        if not E164.match(cb.number):
            self._close(session, cb, CallbackStatus.FAILED, f"number {cb.number!r} is not E.164")
            return None
        refusal = self.policy.check(cb.number)
        if refusal is not None:  # booked before the policy changed, or written around the service
            record_refusal(session, DISPATCHER, NumberRefused(cb.number, refusal), "callback")
            self._close(session, cb, CallbackStatus.FAILED, f"dialling policy: {refusal.message}")
            self._note(session, cb, say_later(N_("Callback to %(number)s not placed: %(why)s."),
                                              number=phone(cb.number), why=Message(refusal.template, refusal.params)))
            return None
        agent_id, interface = None, None
        if self.cfg.mode == "agent_first":
            agent_id, interface = self._reserve(session, cb, now)
            if agent_id is None:
                return self._later(session, cb, now + dt.timedelta(seconds=self.cfg.no_agent_retry_seconds),
                                   "no matching agent free")
        attempt = cb.attempts + 1
        won = rowcount(session.execute(update(Callback).where(
            Callback.id == cb.id, Callback.status == CallbackStatus.PENDING, Callback.attempts == cb.attempts)
            .values(status=CallbackStatus.DIALING, attempts=attempt, last_attempt_at=now,
                    assigned_agent_id=agent_id or cb.assigned_agent_id))) == 1
        key = f"callback:{cb.id}:attempt:{attempt}"
        if not won or not runs.claim(session, key, "callback", number=cb.number):
            self._unreserve(agent_id)
            return None
        request = self._request(cb, key, agent_id, interface)
        if cb.call_id is not None:  # back through the PBX the call came in on
            request = dataclasses.replace(request, pbx=session.scalar(select(Call.pbx).where(Call.id == cb.call_id))
                                          or "")
        session.add(CallbackAttempt(callback_id=cb.id, attempt=attempt, agent_id=agent_id,
                                    action_id=f"cc-orig-{request.originate_key}"))
        return request

    def _request(self, cb: Callback, key: str, agent_id: int | None, interface: str | None) -> DialRequest:
        variables = {"CC_CALLBACK_NUMBER": cb.number, "CC_CALLBACK_ID": str(cb.id)}
        if cb.language in ("en", "zh"):
            variables["CC_LANG"] = cb.language
        if agent_id is not None and interface is not None:
            variables["CC_AGENT_ID"] = str(agent_id)
            return DialRequest(key=key, channel=interface, context=self.context, variables=variables,
                               ring_seconds=self.cfg.agent_ring_seconds, caller_id=cb.number,
                               follow_dial=True, second_leg_seconds=self.cfg.customer_ring_seconds + 15)
        variables.update({"CC_QUEUE": self.cfg.queue, "QUEUE_PRIO": str(self.cfg.queue_priority)})
        return DialRequest(key=key, channel=f"PJSIP/{cb.number}@{self.endpoint}", context="cc-queue",
                           variables=variables, ring_seconds=self.cfg.customer_ring_seconds)

    def _reserve(self, session: Session, cb: Callback, now: dt.datetime) -> tuple[int | None, str | None]:
        """A free agent with the queue's skill and the caller's language, held for this call."""
        snap = build_snapshot(session, self.engine.rules, self.live, now)
        with self._lock:
            for agent in snap.agents.values():
                free = self.live is None or self.live.free(agent.user_id, agent.interface)
                agent.active = agent.active and free and bool(agent.interface) \
                    and agent.user_id not in self._reserved and agent.presence in (None, "available")
            skill = session.scalar(select(Queue.skill_id).where(Queue.id == cb.queue_id)) if cb.queue_id else None
            needs = TicketNeeds(ticket_id=cb.ticket_id or 0, skills={skill: 1} if skill else {},
                                language=cb.language)
            decision = self.engine.decide(snap, needs, now)
            if decision.route not in ("matched", "fallback_team") or decision.agent_id is None:
                return None, None
            self._reserved.add(decision.agent_id)
        return decision.agent_id, snap.agents[decision.agent_id].interface

    def _unreserve(self, agent_id: int | None) -> None:
        if agent_id is not None:
            with self._lock:
                self._reserved.discard(agent_id)

    # -- after the dial ----------------------------------------------------------------
    def _finish(self, session: Session, callback_id: int, result: DialResult, now: dt.datetime) -> dt.datetime | None:
        cb = session.get(Callback, callback_id)
        if cb is None:
            return None
        session.execute(update(CallbackAttempt).where(
            CallbackAttempt.callback_id == cb.id, CallbackAttempt.attempt == cb.attempts).values(
            outcome=result.outcome.value, ended_at=now, detail=result.detail[:2000]))
        runs.finish(session, f"callback:{cb.id}:attempt:{cb.attempts}", result.outcome.value)
        label = say_later(N_("Callback to %(number)s, attempt %(n)s/%(of)s: %(outcome)s"), number=phone(cb.number),
                          n=cb.attempts, of=cb.max_attempts, outcome=coded("call_outcome", result.outcome))
        if cb.status is not CallbackStatus.DIALING:  # closed meanwhile (stale sweep, cancel)
            return None
        if result.outcome is Outcome.UNKNOWN:
            self._note(session, cb, say_later(N_("%(label)s (%(detail)s); left dialing, never redialled"),
                                              label=label, detail=result.detail))
            return None
        if not result.sent and cb.max_attempts < self.cfg.max_attempts + NOT_SENT_LIMIT:
            # Nothing rang: this attempt does not count against the customer's dials.
            retry = now + dt.timedelta(seconds=self.cfg.no_agent_retry_seconds)
            session.execute(update(Callback).where(Callback.id == cb.id, Callback.status == CallbackStatus.DIALING)
                            .values(status=CallbackStatus.PENDING, next_attempt_at=retry,
                                    max_attempts=cb.max_attempts + 1, outcome_detail=result.detail[:2000]))
            return retry
        if result.outcome is Outcome.REACHED:
            self._close(session, cb, CallbackStatus.REACHED, result.detail or "reached")
            self._note(session, cb, label)
            return None
        if cb.attempts >= cb.max_attempts:
            self._close(session, cb, CallbackStatus.FAILED,
                        f"{cb.attempts} attempts, last {result.outcome.value}: {result.detail}")
            self._note(session, cb, say_later(N_("%(label)s; no attempts left, callback failed"), label=label))
            return None
        delays = self.cfg.retry_delays or [300]
        wait = delays[min(cb.attempts - 1, len(delays) - 1)]
        retry = self.window.next_allowed(now + dt.timedelta(seconds=wait))
        session.execute(update(Callback).where(Callback.id == cb.id, Callback.status == CallbackStatus.DIALING)
                        .values(status=CallbackStatus.PENDING, next_attempt_at=retry,
                                outcome_detail=f"{result.outcome.value}: {result.detail}"[:2000]))
        self._note(session, cb, say_later(N_("%(label)s; next try at %(at)s"), label=label, at=at(retry)))
        return retry

    def _later(self, session: Session, cb: Callback, when: dt.datetime, why: str) -> dt.datetime:
        cb.next_attempt_at = when
        cb.outcome_detail = f"waiting: {why}"
        return when

    def _close(self, session: Session, cb: Callback, status: CallbackStatus, detail: str) -> None:
        cb.status = status
        cb.completed_at = utcnow()
        cb.outcome_detail = detail[:2000]
        self.notifier.callback_outcome(session, cb)

    def _note(self, session: Session, cb: Callback, text: Message) -> None:
        if cb.ticket_id and (ticket := session.get(Ticket, cb.ticket_id)) is not None:
            self.tickets.add_note(session, ticket, text, DISPATCHER)
