"""Callbacks as promises: created from the IVR, by an agent, or for abandoned calls.

Each callback has a due time and an SLA (call back no later than
``sla_due_at``).  Numbers are normalised to E.164 here, once, and must pass
the dialling policy (no premium, satellite or foreign numbers, a few
callbacks per number a day); nothing else ever reaches the dialler.
Placing the call is ``placing.py``.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..access.dialling import DiallingPolicy, NumberRefused, record_refusal
from ..calls.numbers import InvalidNumber, to_e164
from ..config import CallbackSettings
from ..db import rowcount
from ..i18n import N_, Refusal, at, coded, phone, say_later
from ..models import (
    Call,
    Callback,
    CallbackAttempt,
    CallbackSource,
    CallbackStatus,
    Disposition,
    Ticket,
    utcnow,
)
from ..tickets.service import TicketService
from .notifier import DISPATCHER, DispatchNotifier

ACTIVE = (CallbackStatus.PENDING, CallbackStatus.DIALING)
LINKS = {"call_id", "customer_id", "ticket_id", "queue_id", "requested_by_id", "language"}


class CallbackError(Refusal):
    """A callback that cannot be promised as asked (said in the reader's language by the web)."""


class Callbacks:
    """Promising callbacks: each one noted on its ticket, audited, and announced to the dispatcher."""

    def __init__(self, cfg: CallbackSettings, region: str, tickets: TicketService, notifier: DispatchNotifier,
                 policy: DiallingPolicy) -> None:
        self.cfg, self.region, self.tickets, self.notifier = cfg, region, tickets, notifier
        self.policy = policy

    def request(self, session: Session, number: str, *, source: CallbackSource | str,
                actor: Actor = DISPATCHER, due_at: dt.datetime | None = None,
                **links: int | str | None) -> Callback:
        """Promise a callback; a second request for a number already waiting returns the first.

        ``links``: call_id, customer_id, ticket_id, queue_id, requested_by_id, language.
        Raises CallbackError for input that is not a number, NumberRefused for one the
        dialling policy refuses (the caller records the refusal: ``refused``).
        """
        try:
            e164 = to_e164(number, self.region)
        except InvalidNumber as exc:
            raise CallbackError(N_("%(number)s is not a phone number we can call back."), field="number",
                                code="bad_number", number=repr(number)) from exc
        refusal = self.policy.check(e164)
        if refusal is not None:
            raise NumberRefused(e164, refusal)
        now = utcnow()
        due = due_at or now
        if due.tzinfo is None:
            raise CallbackError(N_("The due time must carry a time zone."), field="due_at", code="naive_time")
        unknown = set(links) - LINKS
        if unknown:
            raise CallbackError(N_("Unknown callback fields: %(fields)s."), code="unknown_fields",
                                fields=", ".join(sorted(unknown)))
        existing = session.scalar(select(Callback).where(Callback.number == e164, Callback.status.in_(ACTIVE)))
        if existing is not None:
            return existing
        refusal = self.policy.check_quota(session, e164, now)
        if refusal is not None:
            raise NumberRefused(e164, refusal)
        sla_due = due + dt.timedelta(minutes=self.cfg.sla_minutes)
        cb = Callback(number=e164, source=CallbackSource(source), due_at=due, next_attempt_at=due, sla_due_at=sla_due,
                      max_attempts=self.cfg.max_attempts, **links)
        session.add(cb)
        session.flush()
        # The note is the system's record of the promise, not someone answering the customer:
        # it must not count as the ticket's first response.
        if cb.ticket_id and (ticket := session.get(Ticket, cb.ticket_id)) is not None:
            self.tickets.add_note(session, ticket, say_later(
                N_("Callback promised to %(number)s at %(due)s (%(source)s); call back by %(by)s"), number=phone(e164),
                due=at(due), source=coded("callback_source", cb.source), by=at(sla_due)), DISPATCHER)
        audit.record(session, "callback_created", actor, object_type="callback", object_id=cb.id,
                     source=cb.source.value)
        self.notifier.callback_requested(session, cb)
        return cb

    def for_abandoned_call(self, session: Session, call_id: int) -> Callback | None:
        """A caller who gave up in the queue gets a callback (once per call), if configured."""
        if not self.cfg.auto_for_abandoned:
            return None
        call = session.get(Call, call_id)
        if call is None or call.disposition is not Disposition.ABANDONED_QUEUE or not call.caller_number:
            return None
        if session.scalar(select(Callback.id).where(Callback.call_id == call.id)) is not None:
            return None
        ended = call.ended_at or utcnow()
        try:
            return self.request(session, call.caller_number, source=CallbackSource.ABANDONED,
                                due_at=ended + dt.timedelta(minutes=self.cfg.abandoned_delay_minutes),
                                call_id=call.id, customer_id=call.customer_id, ticket_id=call.ticket_id,
                                queue_id=call.queue_id, language=call.language)
        except CallbackError:
            return None  # an unusable caller ID: nothing to call back
        except NumberRefused as refused:
            self.refused(session, DISPATCHER, refused)
            return None

    def taken_by_agent(self, session: Session, callback_id: int, actor: Actor, detail: str) -> bool:
        """An agent called the number from the desk: the dispatcher must not dial it again.

        Only a PENDING callback is taken (compare-and-set), so one the dispatcher is
        dialling at this very moment stays the dispatcher's.
        """
        now = utcnow()
        taken = rowcount(session.execute(update(Callback).where(
            Callback.id == callback_id, Callback.status == CallbackStatus.PENDING).values(
            status=CallbackStatus.CANCELLED, completed_at=now, outcome_detail=detail[:2000]))) == 1
        if taken:
            cb = session.get(Callback, callback_id)
            assert cb is not None
            session.refresh(cb)
            audit.record(session, "callback_taken", actor, object_type="callback", object_id=callback_id,
                         detail=detail[:200])
            self.notifier.callback_outcome(session, cb)
        return taken

    def refused(self, session: Session, actor: Actor, refused: NumberRefused) -> None:
        """Remember a refused callback request (its own transaction if the request's was rolled back)."""
        record_refusal(session, actor, refused, "callback")

    def close_stale(self, session: Session, now: dt.datetime, timeout_s: int) -> list[int]:
        """DIALING for too long (restart or lost AMI link mid-call): fail it, never redial.

        We cannot know whether the customer's phone rang, so dialling again could
        call them twice; a person follows up from the ticket note instead.
        """
        cutoff = now - dt.timedelta(seconds=timeout_s)
        stale = list(session.scalars(select(Callback).where(
            Callback.status == CallbackStatus.DIALING, Callback.last_attempt_at < cutoff)))
        explained = say_later(N_("outcome unknown %(s)s s after dialling (dispatcher restart or lost AMI link); "
                                 "not redialled so the customer is never called twice"), s=timeout_s)
        why = str(explained)
        closed = []
        for cb in stale:
            hit = session.execute(update(Callback).where(
                Callback.id == cb.id, Callback.status == CallbackStatus.DIALING).values(
                status=CallbackStatus.FAILED, completed_at=now, outcome_detail=why))
            if rowcount(hit) != 1:
                continue
            session.execute(update(CallbackAttempt).where(
                CallbackAttempt.callback_id == cb.id, CallbackAttempt.outcome.is_(None)).values(
                outcome="unknown", ended_at=now, detail=why))
            if cb.ticket_id and (ticket := session.get(Ticket, cb.ticket_id)) is not None:
                self.tickets.add_note(session, ticket, say_later(
                    N_("Callback to %(number)s failed: %(why)s. Please call manually."), number=phone(cb.number),
                    why=explained), DISPATCHER)
            closed.append(cb.id)
        return closed

