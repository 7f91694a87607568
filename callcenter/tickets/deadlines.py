"""Where a ticket stands against its SLA, as the desk, the review page and the wallboard show it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_

from ..models import OPEN_STATUSES, Ticket, TicketStatus, utcnow

NEAR_BREACH = dt.timedelta(minutes=30)
SLA_STATES = ("breached", "near", "ok", "paused", "none")


def next_due(ticket: Ticket) -> dt.datetime | None:
    """The promise that matters now: first response until answered, then resolution."""
    if ticket.status not in OPEN_STATUSES:
        return None
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        return ticket.first_response_due_at
    return ticket.resolution_due_at


def sla_state(ticket: Ticket, now: dt.datetime | None = None) -> str:
    """'breached', 'near', 'ok', 'paused' or 'none' (no promise)."""
    due = next_due(ticket)
    if due is None:
        return "none"
    if ticket.status is TicketStatus.PENDING:
        return "paused"
    now = now or utcnow()
    if due <= now:
        return "breached"
    return "near" if due - now <= NEAR_BREACH else "ok"


def due_column() -> ColumnElement[dt.datetime]:
    """``next_due`` in SQL, for sorting: first response until answered, then resolution (none once done)."""
    return case((Ticket.status.not_in(OPEN_STATUSES), None),
                (and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at.is_not(None)),
                 Ticket.first_response_due_at), else_=Ticket.resolution_due_at)


def by_urgency() -> list[ColumnElement[Any]]:
    """ORDER BY the nearest promise first: running clocks by due time, then paused ones, then no promise."""
    due = due_column()
    return [due.is_(None), (Ticket.status == TicketStatus.PENDING), due, Ticket.id.asc()]


def sla_clause(state: str, now: dt.datetime | None = None) -> ColumnElement[bool]:
    """The same states as a WHERE clause, for list filters."""
    now = now or utcnow()
    due = due_column()
    active = Ticket.status.in_((TicketStatus.NEW, TicketStatus.OPEN))
    if state == "breached":
        return and_(active, due <= now)
    if state == "near":
        return and_(active, due > now, due <= now + NEAR_BREACH)
    if state == "ok":
        return and_(active, due > now + NEAR_BREACH)
    if state == "paused":
        return Ticket.status == TicketStatus.PENDING
    return or_(due.is_(None), Ticket.status.not_in(OPEN_STATUSES))
