"""Ticket operations shared by the desk, the API and the dispatcher.

Every change goes through ``change()`` so it lands as a TicketChange row
(field, old, new, who, why): the ticket's history is never reconstructed,
it is recorded.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import ticket_numbers
from .models import (
    Call, Priority, Ticket, TicketChange, TicketNote, TicketStatus, User, utcnow,
)

OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
# Fields whose changes are tracked, and how their values are shown.
TRACKED = ("status", "priority", "assignee_id", "category", "subject", "queue_id", "team_id",
           "customer_id", "first_response_due_at", "resolution_due_at", "needed_skill_id", "language")


class TicketError(ValueError):
    pass


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return getattr(value, "value", value) if not isinstance(value, str) else value


def create(session: Session, *, actor: User | None = None, call: Call | None = None,
           reason: str = "", **fields: Any) -> Ticket:
    """A new ticket with its number; linked to the call it came from, if any."""
    ticket = Ticket(created_by_id=actor.id if actor else None, **fields)
    if call is not None:
        ticket.origin_call_id = call.id
        ticket.customer_id = ticket.customer_id or call.customer_id
        ticket.queue_id = ticket.queue_id or call.queue_id
        ticket.language = ticket.language or call.language
    session.add(ticket)
    session.flush()
    ticket.number = ticket_numbers.number_for(ticket.id)
    session.add(TicketChange(ticket_id=ticket.id, actor_id=actor.id if actor else None,
                             field="status", old_value=None, new_value=ticket.status.value,
                             reason=reason or "created"))
    if call is not None:
        call.ticket_id = ticket.id
    return ticket


def change(session: Session, ticket: Ticket, *, actor: User | None = None, reason: str = "",
           **values: Any) -> list[TicketChange]:
    """Set fields and record one TicketChange per field that really changed."""
    rows = []
    now = utcnow()
    for field, new in values.items():
        if field not in TRACKED:
            raise TicketError(f"field {field!r} cannot be changed this way")
        old = getattr(ticket, field)
        if old == new:
            continue
        if field == "status":
            _on_status(ticket, TicketStatus(new), now)
            new = TicketStatus(new)
        if field == "priority":
            new = Priority(new)
        setattr(ticket, field, new)
        row = TicketChange(ticket_id=ticket.id, actor_id=actor.id if actor else None, field=field,
                           old_value=_text(old), new_value=_text(new), reason=reason)
        session.add(row)
        rows.append(row)
    return rows


def _on_status(ticket: Ticket, new: TicketStatus, now: dt.datetime) -> None:
    """Keep SLA timestamps true as the status moves."""
    old = ticket.status
    if old is TicketStatus.PENDING and new is not TicketStatus.PENDING and ticket.sla_paused_at:
        ticket.sla_paused_seconds += (now - ticket.sla_paused_at).total_seconds()
        ticket.sla_paused_at = None
    if new is TicketStatus.PENDING and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    if new is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if new is TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    if new in OPEN_STATUSES and old in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.resolved_at = ticket.closed_at = None


def add_note(session: Session, ticket: Ticket, body: str, *, author: User | None,
             internal: bool = True) -> TicketNote:
    body = body.strip()
    if not body:
        raise TicketError("a note needs some text")
    if len(body) > 20000:
        raise TicketError("a note is limited to 20,000 characters")
    note = TicketNote(ticket_id=ticket.id, author_id=author.id if author else None, body=body,
                      internal=internal)
    session.add(note)
    if author is not None and ticket.first_responded_at is None and ticket.created_by_id != author.id:
        ticket.first_responded_at = utcnow()
    return note


def attach_call(session: Session, ticket: Ticket, call: Call, *, actor: User | None) -> None:
    """A follow-up call by the same customer joins their open ticket."""
    if call.ticket_id == ticket.id:
        return
    call.ticket_id = ticket.id
    session.add(TicketChange(ticket_id=ticket.id, actor_id=actor.id if actor else None,
                             field="call", old_value=None, new_value=str(call.id),
                             reason="follow-up call attached"))


def open_tickets_for_customer(session: Session, customer_id: int, limit: int = 10) -> list[Ticket]:
    return list(session.scalars(
        select(Ticket).where(Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at.desc()).limit(limit)))


def by_number(session: Session, number: str) -> Ticket | None:
    if not ticket_numbers.is_valid(number):
        return None
    return session.scalar(select(Ticket).where(Ticket.number == number))


# -- SLA state as the desk shows it ---------------------------------------
NEAR_BREACH = dt.timedelta(minutes=30)


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


def sla_clause(state: str, now: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    """The same states as a WHERE clause, for list filters."""
    from sqlalchemy import and_, case, or_

    now = now or utcnow()
    due = case((and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at.is_not(None)),
                Ticket.first_response_due_at), else_=Ticket.resolution_due_at)
    active = Ticket.status.in_((TicketStatus.NEW, TicketStatus.OPEN))
    if state == "breached":
        return and_(active, due <= now)
    if state == "near":
        return and_(active, due > now, due <= now + NEAR_BREACH)
    if state == "ok":
        return and_(active, or_(due > now + NEAR_BREACH))
    if state == "paused":
        return Ticket.status == TicketStatus.PENDING
    return or_(due.is_(None), Ticket.status.not_in(OPEN_STATUSES))
