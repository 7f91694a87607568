"""What the ticket page shows of its problem: the problem it is an incident of, a problem's incidents, and the
open tickets most like it (to link in one click)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.access import visibility
from callcenter.models import OPEN_STATUSES, Incident, Queue, ReplyTemplate, Ticket, TicketMerge, User
from callcenter.problems.similar import Alike
from callcenter.wiring import Container

SHOWN = 5  # similar tickets listed at once; the rest behind "more"


@dataclass
class ProblemPanel:
    problem: Ticket | None = None  # the problem this ticket is an incident of
    incidents: list[Ticket] = field(default_factory=list)  # this problem's incidents the viewer may see
    similar: list[Alike] = field(default_factory=list)
    templates: list[ReplyTemplate] = field(default_factory=list)  # for "solve": the reply every customer gets
    merged_into: Ticket | None = None  # where this ticket was merged
    merge: TicketMerge | None = None  # the merge either side may still undo
    merge_other: Ticket | None = None  # the other side of that merge
    incident: Incident | None = None  # this problem's incident, open or proposed by the surge watch
    subscribers: int = 0  # callers who pressed 1 to be told when it is fixed
    queues: list[Queue] = field(default_factory=list)  # whose callers an incident may be told to

    @property
    def first(self) -> list[Alike]:
        return self.similar[:SHOWN]

    @property
    def more(self) -> list[Alike]:
        return self.similar[SHOWN:]


def panel(db: Session, container: Container, ticket: Ticket, viewer: User) -> ProblemPanel:
    visible = visibility.ticket_clause(viewer)
    found = ProblemPanel()
    if ticket.problem_id is not None:
        problem = db.get(Ticket, ticket.problem_id)
        found.problem = problem if problem is not None and visibility.can_see_ticket(db, viewer, problem.id) else None
    if ticket.is_problem:
        found.incidents = container.problems.incidents(db, ticket, visible)
        found.templates = container.templates.listing(db, active_only=True)
    if ticket.problem_id is None:
        found.incident = container.incidents.live(db, ticket.id)
        found.subscribers = container.incidents.subscribers(db, found.incident.id) if found.incident else 0
        found.queues = list(db.scalars(select(Queue).where(Queue.is_active).order_by(Queue.name)))
    if ticket.merged_into_id is not None:
        found.merged_into = db.get(Ticket, ticket.merged_into_id)
    found.merge = container.merges.last(db, ticket)
    if found.merge is not None:
        other = found.merge.target_id if found.merge.source_id == ticket.id else found.merge.source_id
        found.merge_other = db.get(Ticket, other)
    if ticket.status in OPEN_STATUSES:
        group = ticket.problem_id or (ticket.id if ticket.is_problem else None)
        found.similar = [a for a in container.similar_tickets.for_ticket(db, ticket, visible)
                         if group is None or (a.ticket_id != group and a.problem_id != group)]
    return found
