"""One customer's history across every channel, as one viewer may see it: their tickets and their contacts.

A contact is a call or a public message (e-mail, WeChat, SMS, the web form),
newest first.  Only what ``viewer`` may open is listed (``access.visibility``):
a call by the call rules, a message by its ticket's.  The ticket page and the
desk's pop both read it here, so the two can never disagree; they leave out
what they already show (the ticket's own timeline, the call that is ringing).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..access import visibility
from ..models import Call, Channel, Message, Role, Ticket, User, Visibility

LIMIT = 20


@dataclass(frozen=True)
class TicketLine:
    id: int
    number: str
    subject: str
    status: str
    source: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Contact:
    """A call or a message; ``ticket_number`` only when the viewer may open that ticket."""

    at: dt.datetime
    kind: str  # "call" or "message"
    channel: str  # a Channel value: phone, email, wechat, sms, web
    direction: str  # inbound or outbound
    ticket_number: str | None = None
    call_id: int | None = None
    # A call's own page (QA workspace) opens for this viewer: agents only for calls they answered.
    call_openable: bool = False
    queue: str | None = None
    disposition: str | None = None
    subject: str = ""


@dataclass(frozen=True)
class History:
    tickets: list[TicketLine] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.tickets and not self.contacts


def customer_history(session: Session, customer_id: int, viewer: User, *, limit: int = LIMIT,
                     except_ticket: int | None = None, except_call: int | None = None) -> History:
    """The customer's other tickets and recent contacts, newest first, that ``viewer`` may see."""
    seen_tickets = visibility.ticket_clause(viewer)
    tickets = session.scalars(select(Ticket).where(
        Ticket.customer_id == customer_id, Ticket.id != (except_ticket or 0), seen_tickets)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    lines = [TicketLine(t.id, t.number or "", t.subject, t.status.value, t.source, t.created_at) for t in tickets]
    contacts = _calls(session, customer_id, viewer, limit, except_ticket, except_call)
    contacts += _messages(session, customer_id, viewer, limit, except_ticket)
    contacts.sort(key=lambda c: c.at, reverse=True)
    return History(lines, contacts[:limit])


def _visible_numbers(session: Session, viewer: User, ticket_ids: set[int]) -> dict[int, str]:
    if not ticket_ids:
        return {}
    rows = session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ticket_ids),
                                                                   visibility.ticket_clause(viewer)))
    return {tid: number for tid, number in rows if number}


def _calls(session: Session, customer_id: int, viewer: User, limit: int, except_ticket: int | None,
           except_call: int | None) -> list[Contact]:
    query = select(Call).where(Call.customer_id == customer_id, visibility.call_clause(viewer),
                               Call.id != (except_call or 0))
    if except_ticket is not None:
        query = query.where(or_(Call.ticket_id.is_(None), Call.ticket_id != except_ticket))
    calls = list(session.scalars(query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit)))
    numbers = _visible_numbers(session, viewer, {c.ticket_id for c in calls if c.ticket_id})
    return [Contact(at=c.started_at, kind="call", channel=Channel.PHONE.value, direction=c.direction.value,
                    ticket_number=numbers.get(c.ticket_id or 0), call_id=c.id,
                    call_openable=_openable(viewer, c), queue=c.queue_name,
                    disposition=c.disposition.value if c.disposition else None) for c in calls]


def _openable(viewer: User, call: Call) -> bool:
    """``visibility.can_open_call`` for a call already known to be visible (no second query)."""
    return call.agent_id == viewer.id if viewer.role is Role.AGENT else True


def _messages(session: Session, customer_id: int, viewer: User, limit: int,
              except_ticket: int | None) -> list[Contact]:
    at = func.coalesce(Message.received_at, Message.created_at)
    theirs = or_(Message.customer_id == customer_id, Ticket.customer_id == customer_id)
    rows = session.execute(
        select(Message, Ticket.number).join(Ticket, Ticket.id == Message.ticket_id)
        .where(theirs, Message.visibility == Visibility.PUBLIC, Ticket.id != (except_ticket or 0),
               visibility.ticket_clause(viewer))
        .order_by(at.desc(), Message.id.desc()).limit(limit))
    return [Contact(at=m.at, kind="message", channel=m.channel.value, direction=m.direction.value,
                    ticket_number=number, subject=m.subject) for m, number in rows]
