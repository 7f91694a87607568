"""Every change to a ticket, whoever makes it: the desk, the API, the dispatcher, a keyword rule.

Each operation writes the ticket, one TicketChange per field that really
changed (field, old, new, who, why: the history is recorded, never
reconstructed), its audit row, and publishes its event, all in the
caller's transaction.  So a ticket made through the API is assigned as
fast as one made at the desk, and a new channel gets all of it by calling
``create``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..access.roles import ASSIGNABLE, MANAGERS
from ..i18n import N_, Message, Refusal, say_later
from ..models import (
    OPEN_STATUSES,
    Call,
    Channel,
    Priority,
    Ticket,
    TicketChange,
    TicketNote,
    TicketStatus,
    User,
    utcnow,
)
from .notifier import TicketNotifier
from .numbers import number_for

# Fields ``change`` may set, and whose changes the history shows.
TRACKED = ("status", "priority", "category", "subject", "queue_id", "team_id", "customer_id",
           "first_response_due_at", "resolution_due_at", "needed_skill_id", "language")
MAX_NOTE = 20000
# A customer who wrote waits for a written answer: on their tickets only a public reply
# (Conversations.queue_outbound) is the first response, never a note among colleagues.
WRITTEN_SOURCES = tuple(c.value for c in Channel if c is not Channel.PHONE)
# What a person or the system gives as a reason or a note: typed text, or a Message said in each reader's language.
Reason = str | Message


class TicketError(Refusal):
    """A ticket change the service refuses (said in the reader's language by the web)."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(getattr(value, "value", value))


class TicketService:
    def __init__(self, notifier: TicketNotifier) -> None:
        self.notifier = notifier

    def history(self, session: Session, ticket: Ticket, actor: Actor, field: str, old: Any, new: Any,
                 reason: Reason) -> TicketChange:
        """One row of the ticket's history (its changes write these; so do links and merges)."""
        row = TicketChange(ticket_id=ticket.id, actor_id=actor.user_id, field=field, old_value=_text(old),
                           new_value=_text(new), reason=str(reason)[:2000])
        if isinstance(reason, Message):
            row.reason_template, row.reason_params = reason.template, reason.params
        session.add(row)
        return row

    def create(self, session: Session, actor: Actor, *, call: Call | None = None, reason: Reason = "",
               **fields: Any) -> Ticket:
        """A new ticket with its number; linked to the call it came from, if any."""
        ticket = Ticket(created_by_id=actor.user_id, **fields)
        if call is not None:
            ticket.origin_call_id = call.id
            ticket.customer_id = ticket.customer_id or call.customer_id
            ticket.queue_id = ticket.queue_id or call.queue_id
            ticket.language = ticket.language or call.language
        session.add(ticket)
        session.flush()
        ticket.number = number_for(ticket.id)
        self.history(session, ticket, actor, "status", None, ticket.status, reason or Message(N_("created")))
        if call is not None:
            call.ticket_id = ticket.id
        audit.record(session, "ticket_created", actor, object_type="ticket", object_id=ticket.number,
                     call_id=call.id if call is not None else None, source=ticket.source)
        self.notifier.created(session, ticket, actor, call.id if call is not None else None)
        return ticket

    def change(self, session: Session, ticket: Ticket, actor: Actor, *, reason: Reason = "",
               **values: Any) -> list[TicketChange]:
        """Set fields; one TicketChange per field that really changed, one audit row, one event."""
        rows = []
        now = utcnow()
        for field, new in values.items():
            if field not in TRACKED:
                raise TicketError(N_("The field %(field)s cannot be changed this way."), field=field,
                                  code="not_changeable")
            if field == "status":
                new = TicketStatus(new)
            if field == "priority":
                new = Priority(new)
            old = getattr(ticket, field)
            if old == new:
                continue
            if field == "status":
                _on_status(ticket, new, now)
            setattr(ticket, field, new)
            rows.append(self.history(session, ticket, actor, field, old, new, reason))
        if rows:
            fields = [r.field for r in rows]
            audit.record(session, "ticket_changed", actor, object_type="ticket", object_id=ticket.number,
                         fields=fields)
            self.notifier.updated(session, ticket, actor, fields)
        return rows

    def assign(self, session: Session, ticket: Ticket, agent_id: int, actor: Actor, *, reason: Reason,
               route: str = "manual") -> TicketChange | None:
        """Give the ticket to someone; ``reason`` (the engine's explanation, or the supervisor's) is kept."""
        if ticket.assignee_id == agent_id:
            return None
        row = self.history(session, ticket, actor, "assignee_id", ticket.assignee_id, agent_id, reason)
        ticket.assignee_id = agent_id
        audit.record(session, "ticket_assigned", actor, object_type="ticket", object_id=ticket.number,
                     agent_id=agent_id, route=route)
        self.notifier.assigned(session, ticket, actor, agent_id, route)
        return row

    def unassign(self, session: Session, ticket: Ticket, actor: Actor, *, reason: Reason) -> TicketChange | None:
        """Nobody has the ticket any more (it waits on an automatic answer); the dispatcher gives it out again
        when it is open."""
        if ticket.assignee_id is None:
            return None
        row = self.history(session, ticket, actor, "assignee_id", ticket.assignee_id, None, reason)
        ticket.assignee_id = None
        audit.record(session, "ticket_changed", actor, object_type="ticket", object_id=ticket.number,
                     fields=["assignee_id"])
        self.notifier.updated(session, ticket, actor, ["assignee_id"])
        return row

    def reassign(self, session: Session, ticket: Ticket, agent_id: int, actor: Actor, reason: str) -> None:
        """A supervisor moves a ticket to someone who can take it; the reason is required and kept."""
        if actor.role not in MANAGERS:
            raise TicketError(N_("Only supervisors and admins reassign tickets."), code="forbidden")
        reason = reason.strip()
        if not reason:
            raise TicketError(N_("Say why you reassign the ticket."), field="reason", code="required")
        agent = session.get(User, agent_id)
        if agent is None or not agent.is_active or agent.role not in ASSIGNABLE:
            raise TicketError(N_("Not someone who can take tickets."), field="assignee_id", code="not_assignable")
        self.assign(session, ticket, agent.id, actor,
                    reason=say_later(N_("reassigned by %(name)s: %(reason)s"), name=actor.name, reason=reason[:500]))

    def add_note(self, session: Session, ticket: Ticket, body: Reason, actor: Actor, *,
                 internal: bool = True) -> TicketNote:
        """A note someone typed, or one the system writes (a Message: kept as its template and values)."""
        text = str(body).strip()
        if not text:
            raise TicketError(N_("A note needs some text."), field="body", code="required")
        if len(text) > MAX_NOTE:
            raise TicketError(N_("A note is limited to %(n)s characters."), field="body", code="too_long",
                              n=f"{MAX_NOTE:,}")
        note = TicketNote(ticket_id=ticket.id, author_id=actor.user_id, body=text, internal=internal)
        if isinstance(body, Message):
            note.template, note.params = body.template, body.params
        session.add(note)
        session.flush()
        if actor.user_id is not None and ticket.first_responded_at is None \
                and ticket.created_by_id != actor.user_id and ticket.source not in WRITTEN_SOURCES:
            ticket.first_responded_at = utcnow()
        audit.record(session, "ticket_note_added", actor, object_type="ticket", object_id=ticket.number,
                     note_id=note.id, internal=internal)
        self.notifier.note_added(session, ticket, actor, note)
        return note

    def attach_call(self, session: Session, ticket: Ticket, call: Call, actor: Actor) -> None:
        """A follow-up call by the same customer joins their open ticket."""
        if call.ticket_id == ticket.id:
            return
        call.ticket_id = ticket.id
        self.history(session, ticket, actor, "call", None, call.id, Message(N_("follow-up call attached")))
        audit.record(session, "ticket_call_attached", actor, object_type="ticket", object_id=ticket.number,
                     call_id=call.id)
        self.notifier.updated(session, ticket, actor, ["call"], call_id=call.id)

    def tag(self, session: Session, ticket: Ticket, tag: str, actor: Actor, reason: Reason) -> bool:
        """Add a tag once; False if the ticket already has it."""
        old = list(ticket.tags or [])
        if tag in old:
            return False
        ticket.tags = [*old, tag]  # a new list: JSON columns do not see in-place changes
        self.history(session, ticket, actor, "tags", ", ".join(old), ", ".join(ticket.tags), reason)
        audit.record(session, "ticket_changed", actor, object_type="ticket", object_id=ticket.number,
                     fields=["tags"])
        self.notifier.updated(session, ticket, actor, ["tags"])
        return True


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
