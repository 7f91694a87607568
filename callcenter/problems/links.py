"""Problem and incident tickets: many callers' tickets linked to the one ticket about their fault.

A problem ticket is where the fault is worked on; each caller's ticket is
an incident pointing at it.  Links are one level deep (a problem is never
an incident; linking to an incident links to its problem), written with a
TicketChange on each side, an audit row and an event, in the caller's
transaction like every ticket change (``tickets.service``).
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..background import jobs
from ..conversations import rendering
from ..conversations.templates import Templates
from ..i18n import N_, say_later
from ..models import OPEN_STATUSES, BackgroundJob, Ticket, TicketStatus
from ..tickets.service import TicketError, TicketService
from . import solving
from .incidents import Incidents
from .notifier import ProblemNotifier

MAX_REPLY = 4000


class Problems:
    def __init__(self, tickets: TicketService, notifier: ProblemNotifier, templates: Templates,
                 incidents: Incidents | None = None) -> None:
        self.tickets, self.notifier, self.templates = tickets, notifier, templates
        self.outages = incidents  # solving the problem ends its incidents and tells their subscribers

    def link(self, session: Session, actor: Actor, incident: Ticket, target: Ticket) -> Ticket:
        """Make ``incident`` an incident of ``target`` (or of the problem ``target`` is an incident of);
        ``target`` becomes a problem ticket if it was not one.  Returns the problem."""
        problem = session.get(Ticket, target.problem_id) if target.problem_id is not None else target
        if problem is None:
            problem = target
        if problem.id == incident.id:
            raise TicketError(N_("A ticket cannot be an incident of itself."), code="same_ticket")
        if incident.is_problem and self.count(session, incident) > 0:
            raise TicketError(N_("Ticket %(number)s is a problem with its own incidents: link those, or unlink "
                                 "them first."), number=incident.number or "", code="is_problem")
        if problem.status not in OPEN_STATUSES:
            raise TicketError(N_("Ticket %(number)s is closed: link to an open problem ticket."),
                              number=problem.number or "", code="problem_closed")
        if incident.problem_id == problem.id:
            return problem
        if not problem.is_problem:
            problem.is_problem = True
            self.tickets.history(session, problem, actor, "is_problem", "", "problem",
                          say_later(N_("made a problem ticket by linking %(number)s"), number=incident.number or ""))
        old = session.get(Ticket, incident.problem_id) if incident.problem_id is not None else None
        incident.problem_id = problem.id
        incident.is_problem = False
        self.tickets.history(session, incident, actor, "problem", old.number if old else None, problem.number,
                      say_later(N_("linked to problem %(number)s"), number=problem.number or ""))
        audit.record(session, "ticket_linked", actor, object_type="ticket", object_id=incident.number,
                     problem=problem.number)
        self.notifier.linked(session, incident, problem, actor)
        return problem

    def unlink(self, session: Session, actor: Actor, incident: Ticket) -> Ticket | None:
        """The ticket is its own again; the problem it was linked to (None: it was not linked)."""
        if incident.problem_id is None:
            return None
        problem = session.get(Ticket, incident.problem_id)
        incident.problem_id = None
        if problem is None:
            return None
        self.tickets.history(session, incident, actor, "problem", problem.number, None,
                      say_later(N_("unlinked from problem %(number)s"), number=problem.number or ""))
        audit.record(session, "ticket_unlinked", actor, object_type="ticket", object_id=incident.number,
                     problem=problem.number)
        self.notifier.unlinked(session, incident, problem, actor)
        return problem

    def solve(self, session: Session, actor: Actor, problem: Ticket, *, body: str = "", subject: str = "",
              template_id: int | None = None, label: str = "") -> BackgroundJob:
        """Resolve the problem, and queue the job that answers and resolves each open incident once
        (``solving``): the reply is a template (filled in per customer and channel) or ``body``."""
        if not problem.is_problem:
            raise TicketError(N_("Ticket %(number)s is not a problem ticket."), number=problem.number or "",
                              code="not_a_problem")
        body, subject = body.strip(), subject.strip()
        if template_id is None and not body:
            raise TicketError(N_("Write the reply every customer gets, or choose a template."), field="body",
                              code="required")
        if len(body) > MAX_REPLY:
            raise TicketError(N_("A reply is limited to %(n)s characters."), field="body", code="too_long",
                              n=f"{MAX_REPLY:,}")
        rendering.check(body)
        rendering.check(subject)
        if template_id is not None:
            self.templates.usable(session, template_id)
        if problem.status in OPEN_STATUSES:
            self.tickets.change(session, problem, actor, status=TicketStatus.RESOLVED,
                                reason=say_later(N_("problem solved; its incidents are told")))
        if self.outages is not None:
            self.outages.solved(session, actor, problem)
        job = jobs.submit(session, actor, solving.KIND, {"problem_id": problem.id, "body": body, "subject": subject,
                                                         "template_id": template_id},
                          label or f"Tell the incidents of problem {problem.number}")
        audit.record(session, "problem_solved", actor, object_type="ticket", object_id=problem.number,
                     job_id=job.id, incidents=self.count(session, problem))
        return job

    @staticmethod
    def incidents(session: Session, problem: Ticket, visible: ColumnElement[bool] | None = None) -> list[Ticket]:
        """The problem's incidents the viewer may see, newest first."""
        query = select(Ticket).where(Ticket.problem_id == problem.id)
        if visible is not None:
            query = query.where(visible)
        return list(session.scalars(query.order_by(Ticket.id.desc())))

    @staticmethod
    def count(session: Session, problem: Ticket) -> int:
        return int(session.scalar(select(func.count()).select_from(Ticket).where(Ticket.problem_id == problem.id))
                   or 0)
