"""An agent's own day, for their start page: what they owe callers and what they did today.

* open tickets assigned to them, the nearest SLA deadline first (running
  clocks, then paused ones, then tickets without a promise);
* callbacks due by the end of today (overdue ones included), those they may
  see (``visibility.callback_clause``: theirs and their queues');
* calls they answered today, each with its outcome: the ticket it made or
  joined, or why it needed none;
* their pauses today, each clipped to today and to now.

"Today" is the centre's day (its time zone).  Nothing here is anyone else's.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import days
from ..access import visibility
from ..models import (
    OPEN_STATUSES,
    AgentPresence,
    Call,
    Callback,
    CallbackStatus,
    Customer,
    PresenceSpan,
    PresenceState,
    Ticket,
    User,
    utcnow,
)
from ..tickets.deadlines import by_urgency, next_due, sla_state
from .outcomes import Reason, reasons

WAITING = (CallbackStatus.PENDING, CallbackStatus.DIALING)


@dataclass(frozen=True)
class OpenTicket:
    ticket: Ticket
    customer: str | None
    sla: str  # deadlines.sla_state
    due: dt.datetime | None


@dataclass(frozen=True)
class CallbackDue:
    callback: Callback
    ticket_number: str | None
    overdue: bool


@dataclass(frozen=True)
class CallToday:
    call: Call
    ticket_number: str | None  # the ticket it made or joined
    no_ticket: Reason | None  # or why it needed none


@dataclass(frozen=True)
class Pause:
    started_at: dt.datetime
    ended_at: dt.datetime | None  # None: still paused
    seconds: float  # within today, up to now
    reason: str | None


@dataclass
class AgentDay:
    tickets: list[OpenTicket]
    tickets_total: int
    callbacks: list[CallbackDue]
    calls: list[CallToday]
    pauses: list[Pause] = field(default_factory=list)
    presence: AgentPresence | None = None

    @property
    def paused_seconds(self) -> float:
        return sum(p.seconds for p in self.pauses)


def agent_day(session: Session, user: User, zone: str, now: dt.datetime | None = None, limit: int = 25) -> AgentDay:
    now = now or utcnow()
    today = days.Days(days.today(zone, now), days.today(zone, now), zone)
    return AgentDay(tickets=open_tickets(session, user, now, limit), tickets_total=_open_count(session, user),
                    callbacks=callbacks_due(session, user, today, now, limit), calls=calls_today(session, user, today),
                    pauses=pauses_today(session, user, today, now), presence=session.get(AgentPresence, user.id))


def _open_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.assignee_id == user.id, Ticket.status.in_(OPEN_STATUSES))) or 0


def open_tickets(session: Session, user: User, now: dt.datetime, limit: int) -> list[OpenTicket]:
    """Open tickets assigned to ``user``, the nearest promise first, with their customer's name."""
    rows = session.execute(select(Ticket, Customer.name).outerjoin(Customer, Customer.id == Ticket.customer_id)
                           .where(Ticket.assignee_id == user.id, Ticket.status.in_(OPEN_STATUSES))
                           .order_by(*by_urgency()).limit(limit)).tuples().all()
    return [OpenTicket(t, name or None, sla_state(t, now), next_due(t)) for t, name in rows]


def callbacks_due(session: Session, user: User, today: days.Days, now: dt.datetime, limit: int) -> list[CallbackDue]:
    """Callbacks still to make, due before today ends (overdue ones too), the earliest first."""
    assert today.end is not None
    found = list(session.scalars(select(Callback).where(
        Callback.status.in_(WAITING), Callback.due_at < today.end, visibility.callback_clause(user),
        or_(Callback.assigned_agent_id.is_(None), Callback.assigned_agent_id == user.id))
        .order_by(Callback.due_at, Callback.id).limit(limit)))
    numbers = _numbers(session, {c.ticket_id for c in found if c.ticket_id})
    return [CallbackDue(c, numbers.get(c.ticket_id) if c.ticket_id else None, c.due_at < now) for c in found]


def _numbers(session: Session, ticket_ids: set[int]) -> dict[int, str | None]:
    return dict(session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ticket_ids))).tuples().all())


def calls_today(session: Session, user: User, today: days.Days) -> list[CallToday]:
    """Calls ``user`` answered today, the latest first, each with its ticket or its no-ticket reason."""
    calls = list(session.scalars(select(Call).where(Call.agent_id == user.id, *today.clauses(Call.started_at))
                                 .order_by(Call.started_at.desc(), Call.id.desc()).limit(200)))
    numbers = _numbers(session, {c.ticket_id for c in calls if c.ticket_id})
    named = reasons(session, (c.no_ticket_reason for c in calls if c.no_ticket_reason))
    return [CallToday(c, numbers.get(c.ticket_id) if c.ticket_id else None,
                      named.get(c.no_ticket_reason) if c.no_ticket_reason else None) for c in calls]


def pauses_today(session: Session, user: User, today: days.Days, now: dt.datetime) -> list[Pause]:
    """``user``'s pauses that overlap today, each counted within today and up to now."""
    assert today.start is not None and today.end is not None
    start, end = today.start, min(today.end, now)
    spans = session.scalars(select(PresenceSpan).where(
        PresenceSpan.user_id == user.id, PresenceSpan.state == PresenceState.PAUSED, PresenceSpan.started_at < end,
        or_(PresenceSpan.ended_at.is_(None), PresenceSpan.ended_at > start)).order_by(PresenceSpan.started_at))
    return [Pause(s.started_at, s.ended_at, max(0.0, (min(s.ended_at or end, end) - max(s.started_at, start))
                                               .total_seconds()), s.reason) for s in spans]
