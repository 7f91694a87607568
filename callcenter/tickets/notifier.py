"""One method per ticket event; each leaves only when the change's transaction commits."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import TicketAssigned, TicketCreated, TicketNoteAdded, TicketUpdated
from ..models import Ticket, TicketNote


class TicketNotifier(Notifier):
    def created(self, session: Session, ticket: Ticket, actor: Actor, call_id: int | None) -> None:
        self._publish(TicketCreated(ticket_id=ticket.id, number=ticket.number, actor=actor.name, call_id=call_id,
                                    source=ticket.source), session)

    def updated(self, session: Session, ticket: Ticket, actor: Actor, fields: list[str],
                call_id: int | None = None) -> None:
        self._publish(TicketUpdated(ticket_id=ticket.id, number=ticket.number, actor=actor.name, fields=fields,
                                    call_id=call_id), session)

    def assigned(self, session: Session, ticket: Ticket, actor: Actor, agent_id: int, route: str) -> None:
        self._publish(TicketAssigned(ticket_id=ticket.id, number=ticket.number, actor=actor.name,
                                     agent_id=agent_id, route=route), session)

    def note_added(self, session: Session, ticket: Ticket, actor: Actor, note: TicketNote) -> None:
        self._publish(TicketNoteAdded(ticket_id=ticket.id, number=ticket.number, actor=actor.name,
                                      note_id=note.id, internal=note.internal), session)
