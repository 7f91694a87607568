"""SLA checks on one ticket: warn before a breach, escalate step by step after it.

Each warning, breach and escalation step is claimed with an idempotency key
(``sla:<ticket>:<kind>:warning|breach|step:<n>``) and recorded on the ticket
as a TicketChange, so it happens once however often the check runs.  The
check returns when it next needs to run; the scheduler does the rest.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers.segments import Segments
from ..i18n import N_, Message, at, coded, say_later
from ..models import OPEN_STATUSES, Priority, Queue, Ticket, TicketChange, User
from ..tickets.service import TicketService
from . import runs
from .assigner import Assigner
from .load import default_supervisor, needs_for
from .notifier import DISPATCHER, DispatchNotifier
from .sla import SLA, Clock, TicketTimes, pauses_from_history

LADDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
LABEL = {"first_response": Message(N_("first response")), "resolution": Message(N_("resolution"))}
SLA_BREACH = Message(N_("SLA breach"))
# Due dates on the ticket are rewritten only when they move by more than this.
DUE_SLACK = dt.timedelta(seconds=60)


def ticket_times(session: Session, ticket: Ticket, segments: Segments | None = None) -> TicketTimes:
    history = session.execute(
        select(TicketChange.old_value, TicketChange.new_value, TicketChange.created_at)
        .where(TicketChange.ticket_id == ticket.id, TicketChange.field == "status")
        .order_by(TicketChange.id)).tuples().all()
    hours = session.scalar(select(Queue.business_hours).where(Queue.id == ticket.queue_id)) if ticket.queue_id else None
    return TicketTimes(created_at=ticket.created_at, priority=ticket.priority.value,
                       category=ticket.category, status=ticket.status.value,
                       first_responded_at=ticket.first_responded_at, resolved_at=ticket.resolved_at,
                       pauses=pauses_from_history(history, ticket.sla_paused_at),
                       hours=tuple(sorted((hours or {}).items())),
                       stricter=segments.of_customer(session, ticket.customer_id).sla_minutes
                       if segments is not None else (None, None))


@dataclass
class Escalator:
    sla: SLA
    steps: list[str]
    interval: dt.timedelta
    assigner: Assigner
    tickets: TicketService
    notifier: DispatchNotifier

    def check(self, session: Session, ticket_id: int, now: dt.datetime) -> dt.datetime | None:
        """Record what is due now; return when to check again (None: nothing ahead)."""
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.status not in OPEN_STATUSES:
            return None
        times = ticket_times(session, ticket, self.assigner.segments)
        self._keep_due_dates(session, ticket, times, now)
        wake: list[dt.datetime] = []
        for clock in self.sla.clocks(times, now):
            nxt = self._one(session, ticket, clock, now)
            if nxt is not None:
                wake.append(nxt)
        return min(wake) if wake else None

    def _keep_due_dates(self, session: Session, ticket: Ticket, times: TicketTimes,
                        now: dt.datetime) -> None:
        due = self.sla.due_dates(times, now)
        values = {}
        for kind, field in (("first_response", "first_response_due_at"),
                            ("resolution", "resolution_due_at")):
            old = getattr(ticket, field)
            if kind in due and (old is None or abs(due[kind] - old) > DUE_SLACK):
                values[field] = due[kind]
        if values:
            self.tickets.change(session, ticket, DISPATCHER,
                                reason=Message(N_("SLA due date (business hours, pauses)")), **values)

    def _one(self, session: Session, ticket: Ticket, clock: Clock, now: dt.datetime) -> dt.datetime | None:
        base = f"sla:{ticket.id}:{clock.kind}"
        label = LABEL[clock.kind]
        if clock.state == "ok":
            return clock.warn_at
        if clock.state not in ("warning", "breached"):
            return None
        if runs.claim(session, f"{base}:warning", "sla_warning", now):
            pct = round(100 * clock.consumed / clock.allowed) if clock.allowed else 100
            due = at(clock.due_at) if clock.due_at else Message(N_("now")).value()
            self._record(session, ticket, "sla_warning", None, clock.kind,
                         say_later(N_("%(clock)s SLA %(pct)s%% used; due %(due)s"), clock=label, pct=pct, due=due))
            self.notifier.sla_warning(session, ticket, clock.kind)
        if clock.state == "warning":
            return clock.due_at
        if runs.claim(session, f"{base}:breach", "sla_breach", now):
            self._record(session, ticket, "sla_breach", None, clock.kind,
                         say_later(N_("%(clock)s SLA breached (%(used)s of %(allowed)s min)"), clock=label,
                                   used=f"{clock.consumed / 60:.0f}", allowed=f"{clock.allowed / 60:.0f}"))
            self.notifier.sla_breach(session, ticket, clock.kind)
        return self._escalate(session, ticket, clock, now)

    def _escalate(self, session: Session, ticket: Ticket, clock: Clock, now: dt.datetime) -> dt.datetime | None:
        prefix = f"sla:{ticket.id}:{clock.kind}:step:"
        done = runs.count_prefix(session, prefix)
        if done >= len(self.steps):
            return None
        last = runs.last_with_prefix(session, prefix)
        if last is not None and now < last.started_at + self.interval:
            return last.started_at + self.interval
        step = self.steps[done]
        if not runs.claim(session, f"{prefix}{done}", "sla_escalation", now, step=step):
            return now + self.interval
        previous = self.steps[done - 1] if done else None
        detail = self._apply(session, ticket, step, clock, now)
        self._record(session, ticket, "escalation", previous, step,
                     say_later(N_("%(clock)s SLA breached: %(detail)s"), clock=LABEL[clock.kind], detail=detail))
        self.notifier.sla_escalated(session, ticket, step)
        return now + self.interval if done + 1 < len(self.steps) else None

    def _apply(self, session: Session, ticket: Ticket, step: str, clock: Clock, now: dt.datetime) -> Message:
        if step == "notify":
            return Message(N_("assignee and supervisor notified"))
        if step == "raise_priority":
            i = LADDER.index(ticket.priority)
            if i + 1 >= len(LADDER):
                return Message(N_("priority already urgent"))
            self.tickets.change(session, ticket, DISPATCHER, reason=Message(N_("SLA breach: priority raised")),
                                priority=LADDER[i + 1])
            return say_later(N_("priority raised to %(priority)s"), priority=coded("priority", LADDER[i + 1]))
        if step == "reassign":
            exclude = frozenset({ticket.assignee_id}) if ticket.assignee_id else frozenset()
            decision = self.assigner.assign(session, ticket.id, now, exclude=exclude, why=SLA_BREACH)
            return say_later(N_("reassigned (%(route)s)"), route=coded("route", decision.route)) if decision \
                else Message(N_("not reassigned"))
        if step == "supervisor":
            return self._to_supervisor(session, ticket)
        return say_later(N_("unknown escalation step %(step)s ignored"), step=repr(step))

    def _to_supervisor(self, session: Session, ticket: Ticket) -> Message:
        needs = needs_for(session, ticket, self.assigner.rules, segments=self.assigner.segments)
        chief = needs.supervisor_id or default_supervisor(session, self.assigner.rules)
        if chief is None:
            return Message(N_("no supervisor to escalate to"))
        if ticket.assignee_id != chief:
            self.tickets.assign(session, ticket, chief, DISPATCHER,
                                reason=Message(N_("SLA breach: escalated to the supervisor")), route="escalation")
        name = session.scalar(select(User.username).where(User.id == chief))
        return say_later(N_("escalated to supervisor %(name)s"), name=name)

    def _record(self, session: Session, ticket: Ticket, field: str, old: str | None, new: str,
                reason: Message) -> None:
        """The step in the ticket's history (its event is the caller's)."""
        session.add(TicketChange(ticket_id=ticket.id, field=field, old_value=old, new_value=new,
                                 reason=str(reason), reason_template=reason.template, reason_params=reason.params))
