"""What `callcenter dispatch status` shows: who is active, queued jobs, due callbacks, breaches."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from ..models import Callback, CallbackStatus, JobRun, Ticket, TicketStatus, User
from . import leader
from . import scheduler as sched


@dataclass(frozen=True)
class DueCallback:
    id: int
    number: str
    status: str
    due: dt.datetime
    attempts: str
    late: bool
    detail: str | None


@dataclass(frozen=True)
class Breach:
    ticket: str
    priority: str
    missed: str
    assignee: str
    due: dt.datetime


@dataclass
class Status:
    active: str
    jobs_total: int
    jobs: list[tuple[str, dt.datetime | None]]
    callbacks: list[DueCallback] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    runs_last_hour: dict[str, int] = field(default_factory=dict)


def gather(engine: Engine, session: Session, now: dt.datetime, limit: int = 20) -> Status:
    ids = sched.scheduled_ids(engine)
    status = Status(active=leader.holder(engine), jobs_total=len(ids), jobs=sched.queued(engine, limit))
    due = func.coalesce(Callback.next_attempt_at, Callback.due_at)
    for cb in session.scalars(select(Callback).where(or_(
            Callback.status == CallbackStatus.DIALING,
            and_(Callback.status == CallbackStatus.PENDING, due <= now))).order_by(due).limit(limit)):
        status.callbacks.append(DueCallback(
            id=cb.id, number=cb.number, status=cb.status.value, due=cb.next_attempt_at or cb.due_at,
            attempts=f"{cb.attempts}/{cb.max_attempts}", late=bool(cb.sla_due_at and cb.sla_due_at < now),
            detail=cb.outcome_detail))
    open_ = (TicketStatus.NEW, TicketStatus.OPEN)
    late_first = and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at < now)
    late_done = and_(Ticket.resolved_at.is_(None), Ticket.resolution_due_at < now)
    rows = session.execute(select(Ticket, User.username).outerjoin(User, User.id == Ticket.assignee_id)
                           .where(Ticket.status.in_(open_), or_(late_first, late_done))
                           .order_by(Ticket.resolution_due_at).limit(limit))
    for t, who in rows:
        missed = [name for name, due_at, met in (("first response", t.first_response_due_at, t.first_responded_at),
                                                 ("resolution", t.resolution_due_at, t.resolved_at))
                  if due_at is not None and due_at < now and met is None]
        status.breaches.append(Breach(
            ticket=t.number or str(t.id), priority=t.priority.value, missed=", ".join(missed), assignee=who or "-",
            due=min(d for d in (t.first_response_due_at, t.resolution_due_at) if d)))
    since = now - dt.timedelta(hours=1)
    for kind, n in session.execute(select(JobRun.kind, func.count()).where(JobRun.started_at >= since)
                                   .group_by(JobRun.kind)):
        status.runs_last_hour[kind] = n
    return status
