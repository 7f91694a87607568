"""The problems' events (links, merges, incidents); each leaves only when its transaction commits."""
from __future__ import annotations

from typing import TypedDict

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import (
    IncidentDeclared,
    IncidentEnded,
    IncidentProposed,
    IncidentSubscribed,
    TicketLinked,
    TicketMerged,
    TicketMergeUndone,
    TicketUnlinked,
)
from ..models import Incident, PhoneNotice, Ticket


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


class _Common(TypedDict):
    incident_id: int
    status: str
    problem_id: int | None
    queue: str | None
    category: str | None
    actor: str


def _common(incident: Incident, actor: str) -> _Common:
    return {"incident_id": incident.id, "status": incident.status.value, "problem_id": incident.problem_id,
            "queue": incident.queue_name, "category": incident.category, "actor": actor}


class IncidentNotifier(Notifier):
    def proposed(self, session: Session, incident: Incident) -> None:
        self._publish(IncidentProposed(**_common(incident, "watch"), seen=incident.seen,
                                       window_minutes=incident.window_minutes), session)

    def declared(self, session: Session, incident: Incident, actor: Actor) -> None:
        self._publish(IncidentDeclared(**_common(incident, actor.name)), session)

    def ended(self, session: Session, incident: Incident, actor: Actor, *, solved: bool) -> None:
        self._publish(IncidentEnded(**_common(incident, actor.name), solved=solved), session)

    def subscribed(self, session: Session, incident: Incident, row: PhoneNotice) -> None:
        self._publish(IncidentSubscribed(**_common(incident, "ivr"), subscription_id=row.id), session)
