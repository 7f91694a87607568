"""The automation service: takes each waiting event, runs the rules that want it in order, once each.

``Inbox`` is a bus recorder (as the webhook outbox is): an event some active rule wants is written to
``automation_events`` in the change's own transaction.  Events the rules' own actions cause are not
(their actor is ``automation``), so rules never feed each other in a loop.

``Engine.run_once`` takes one event (SKIP LOCKED on PostgreSQL, so several services may run) and, in
that one transaction, runs each rule in a savepoint: its conditions, then its actions.  A rule that fails
is rolled back alone, logged (``automation_runs``, and the log) and never stops the others or the change.
The event's runs commit with its ``done``: a service killed half-way leaves nothing, and the next one
runs the event whole; the unique (event, rule) makes a second run of a rule impossible.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from .. import db
from ..access.audit import Actor
from ..bus import Bus, Message
from ..customers.segments import Segments
from ..customers.tags import CustomerTags
from ..db import transaction
from ..dispatch.calendar import BusinessCalendar
from ..events import Event
from ..models import AutomationEvent, AutomationEventStatus, AutomationRun, RunOutcome, utcnow
from ..retry import Backoff
from ..runner import ThreadService
from . import facts
from .actions import Actions, Context
from .approvals import Approvals
from .notifier import ACTOR_NAME
from .rules import Loaded, Rules
from .schema import WHEN

log = logging.getLogger(__name__)
DB_AWAY = (sa_exc.OperationalError, sa_exc.InterfaceError)


class Inbox:
    """Writes the events rules want, in the publishing transaction (``Bus.record_with``)."""

    def __init__(self, session_factory: sessionmaker[Session], rules: Callable[[], Rules]) -> None:
        # The rules come late: they publish on the bus this inbox is part of.
        self.session_factory, self._rules = session_factory, rules

    def record(self, session: Session | None, messages: list[Message[Event]]) -> None:
        if session is None:  # an observation (the AMI bridge's): never let a database away stop its publisher
            try:
                with self.session_factory() as probe:
                    if not self._picked(probe, messages):
                        return
                with transaction(self.session_factory) as own:
                    self._write(own, messages)
            except DB_AWAY as exc:
                log.warning("automation: %s not recorded, the database is away (%s)",
                            ", ".join(m.name for m in messages), type(exc.orig or exc).__name__)
            return
        self._write(session, messages)

    def _picked(self, session: Session, messages: list[Message[Event]]) -> list[Message[Event]]:
        wanted = self._rules().wanted(session)
        return [m for m in messages if m.name in wanted and getattr(m.event, "actor", None) != ACTOR_NAME]

    def _write(self, session: Session, messages: list[Message[Event]]) -> None:
        picked = self._picked(session, messages)
        if picked:
            session.execute(insert(AutomationEvent), [
                {"name": m.name, "payload": m.event.payload(), "status": AutomationEventStatus.QUEUED,
                 "ticket_id": m.event.payload().get("ticket_id"), "created_at": utcnow()} for m in picked])


class Engine:
    def __init__(self, rules: Rules, actions: Actions, approvals: Approvals, segments: Segments, timezone: str,
                 calendar: BusinessCalendar) -> None:
        self.rules, self.actions, self.approvals, self.segments = rules, actions, approvals, segments
        self.timezone, self.calendar = timezone, calendar
        self.actor = Actor.system(ACTOR_NAME)

    def run_once(self, session_factory: sessionmaker[Session]) -> bool:
        """Run one waiting event's rules; False when none waits."""
        with transaction(session_factory) as session:
            q = select(AutomationEvent).where(AutomationEvent.status == AutomationEventStatus.QUEUED) \
                .order_by(AutomationEvent.id).limit(1)
            if db.is_postgres(session):
                q = q.with_for_update(skip_locked=True)
            event = session.scalar(q)
            if event is None:
                return False
            try:
                with session.begin_nested():
                    self.run_event(session, event)
            except DB_AWAY:
                raise
            except Exception:  # an event the engine cannot read (its ticket half-erased ...): logged, not retried
                log.exception("automation event %s (%s) could not be run", event.id, event.name)
            event.status, event.done_at = AutomationEventStatus.DONE, utcnow()
        return True

    def run_event(self, session: Session, event: AutomationEvent, now: dt.datetime | None = None) -> list[str]:
        """Each wanting rule, in order, once, each seeing what the rules before it changed; the outcomes."""
        wanting = [r for r in self.rules.active(session) if WHEN.get(r.when) == event.name]
        if not wanting:
            return []
        ran = set(session.scalars(select(AutomationRun.rule_id).where(AutomationRun.event_id == event.id)))
        payload, at = dict(event.payload or {}), now or utcnow()
        seen = facts.gather(session, event.name, payload, self.segments, self.timezone, self.calendar, at)
        outcomes = []
        for rule in wanting:
            if rule.id in ran:
                continue
            outcome, did, error = self._run_rule(session, rule, seen)
            if did and outcome is not RunOutcome.FAILED:  # the next rule sees what this one changed
                seen = facts.gather(session, event.name, payload, self.segments, self.timezone, self.calendar, at)
            session.add(AutomationRun(event_id=event.id, rule_id=rule.id, ticket_id=event.ticket_id,
                                      outcome=outcome, did=did, error=error))
            outcomes.append(f"{rule.name}: {outcome.value}")
        session.flush()
        return outcomes

    def _run_rule(self, session: Session, rule: Loaded, seen: facts.Facts) -> tuple[RunOutcome, list[str],
                                                                                     str | None]:
        if not all(facts.holds(c, seen) for c in rule.spec.conditions):
            return RunOutcome.NOT_MET, [], None
        now_actions, ask, waiting = rule.spec.split()
        ctx = Context(rule.id, rule.name, seen.ticket, seen.customer, self.actor)
        did: list[str] = []
        try:
            with session.begin_nested():
                for action in now_actions:
                    did.append(self.actions.run(session, action, ctx))
                if ask is not None:
                    if seen.ticket is None:
                        raise ValueError("an approval needs a ticket")
                    approval = self.approvals.request(session, ctx, ask, waiting)
                    did.append(f"approval {approval.id} asked of {ask.role}")
        except Exception as exc:  # noqa: BLE001 - a rule never stops the change, nor the other rules
            log.warning("automation rule %s (%s) failed on %s: %s", rule.id, rule.name,
                        seen.ticket.number if seen.ticket is not None else "-", exc)
            return RunOutcome.FAILED, did, f"{type(exc).__name__}: {exc}"[:2000]
        return (RunOutcome.WAITING if ask is not None else RunOutcome.DONE), did, None


class AutomationService(ThreadService):
    """Runs the rules on waiting events; woken by the bus, and polling in case a wake-up is missed."""

    name = "automation"

    def __init__(self, session_factory: sessionmaker[Session], engine: Engine, bus: Bus | None,
                 tags: CustomerTags | None = None, poll_seconds: float = 1.0, sweep_seconds: float = 60.0) -> None:
        super().__init__()
        self.session_factory, self.engine, self.bus, self.poll_seconds = session_factory, engine, bus, poll_seconds
        # Customer tags whose time is over are removed here (audited), every ``sweep_seconds``.
        self.tags, self.sweep_seconds = tags, sweep_seconds
        self._wake = threading.Event()

    def sweep(self) -> int:
        if self.tags is None:
            return 0
        with transaction(self.session_factory) as session:
            return self.tags.sweep(session, self.engine.actor)

    def _woken(self, _message: Any) -> None:
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        from ..events import CATALOGUE

        unsubscribe = []
        if self.bus is not None:
            unsubscribe = [self.bus.subscribe(CATALOGUE[name], self._woken) for name in set(WHEN.values())]
            unsubscribe.append(self.bus.subscribe(CATALOGUE["automation_rule_changed"],
                                                  lambda _m: self.engine.rules.forget()))
        backoff = Backoff(self.poll_seconds, 30.0)
        next_sweep = 0.0
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() >= next_sweep:
                        self.sweep()
                        next_sweep = time.monotonic() + self.sweep_seconds
                    while not stop.is_set() and self.engine.run_once(self.session_factory):
                        pass
                    backoff.reset()
                except DB_AWAY as exc:
                    wait = backoff.next()
                    log.warning("automation: database unavailable (%s); retrying in %.1f s",
                                type(exc.orig or exc).__name__, wait)
                    stop.wait(wait)
                    continue
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
        finally:
            for undo in unsubscribe:
                undo()
