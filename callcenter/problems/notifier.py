"""The problems' events; each leaves only when the link's transaction commits."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import TicketLinked, TicketUnlinked
from ..models import Ticket


class ProblemNotifier(Notifier):
    def linked(self, session: Session, incident: Ticket, problem: Ticket, actor: Actor) -> None:
        self._publish(TicketLinked(ticket_id=incident.id, number=incident.number, actor=actor.name,
                                   problem_id=problem.id, problem_number=problem.number), session)

    def unlinked(self, session: Session, incident: Ticket, problem: Ticket, actor: Actor) -> None:
        self._publish(TicketUnlinked(ticket_id=incident.id, number=incident.number, actor=actor.name,
                                     problem_id=problem.id, problem_number=problem.number), session)
