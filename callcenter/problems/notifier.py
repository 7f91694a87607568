"""The problems' events (links, merges); each leaves only when its transaction commits."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import TicketLinked, TicketMerged, TicketMergeUndone, TicketUnlinked
from ..models import Ticket


class ProblemNotifier(Notifier):
    def linked(self, session: Session, incident: Ticket, problem: Ticket, actor: Actor) -> None:
        self._publish(TicketLinked(ticket_id=incident.id, number=incident.number, actor=actor.name,
                                   problem_id=problem.id, problem_number=problem.number), session)

    def unlinked(self, session: Session, incident: Ticket, problem: Ticket, actor: Actor) -> None:
        self._publish(TicketUnlinked(ticket_id=incident.id, number=incident.number, actor=actor.name,
                                     problem_id=problem.id, problem_number=problem.number), session)


class MergeNotifier(Notifier):
    def merged(self, session: Session, source: Ticket, target: Ticket, actor: Actor) -> None:
        self._publish(TicketMerged(ticket_id=source.id, number=source.number, actor=actor.name,
                                   into_id=target.id, into_number=target.number), session)

    def undone(self, session: Session, source: Ticket, target: Ticket, actor: Actor) -> None:
        self._publish(TicketMergeUndone(ticket_id=source.id, number=source.number, actor=actor.name,
                                        into_id=target.id, into_number=target.number), session)
