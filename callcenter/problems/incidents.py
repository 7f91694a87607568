"""Incident mode: an outage declared on a problem ticket, told to its callers by the IVR before the menu.

A supervisor declares an incident for a queue, a menu category or every
caller, with a short message in English and Chinese; the watch can propose
one when similar new tickets come faster than ``[problems] surge_count`` in
``surge_minutes``.  While it is open the IVR plays the message and offers
"press 1 to be told when it is fixed" (``agi/handlers/incident.py``): each
press is one subscription per number, passed by the dialling policy.  Solving
the problem (``Problems.solve``) ends its incidents and makes every
subscription due; the dispatcher then calls each subscriber once, within
calling hours (``dispatch/notices.py``).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..access.dialling import DiallingPolicy, NumberRefused
from ..db import rowcount
from ..i18n import N_, say_later
from ..models import (
    OPEN_STATUSES,
    Call,
    Incident,
    IncidentStatus,
    NoticeStatus,
    PhoneNotice,
    Queue,
    Ticket,
    utcnow,
)
from ..tickets.service import TicketError, TicketService
from .notifier import IncidentNotifier
from .settings import ProblemSettings
from .similar import SimilarTickets

CATEGORY = re.compile(r"^[a-z0-9_]{1,80}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LIVE = (IncidentStatus.PROPOSED, IncidentStatus.OPEN)
SURGE_WATCH = Actor.system("surge-watch")


@dataclass(frozen=True)
class Scope:
    """Whose callers hear it: a queue's, a category's, or (neither) everyone's."""

    queue: str | None = None
    category: str | None = None

    def matches(self) -> ColumnElement[bool]:
        return (Incident.queue_name.is_(None) if self.queue is None else Incident.queue_name == self.queue) & (
            Incident.category.is_(None) if self.category is None else Incident.category == self.category)


class Incidents:
    def __init__(self, tickets: TicketService, notifier: IncidentNotifier, settings: ProblemSettings,
                 policy: DiallingPolicy, similar: SimilarTickets) -> None:
        self.tickets, self.notifier, self.settings = tickets, notifier, settings
        self.policy, self.similar = policy, similar

    # -- a supervisor's ------------------------------------------------------------------------------
    def declare(self, session: Session, actor: Actor, problem: Ticket, *, message_en: str, message_zh: str,
                queue: str | None = None, category: str | None = None) -> Incident:
        """Open (or reword) the incident of ``problem``; the ticket becomes a problem ticket if it was not."""
        scope = self._scope(session, queue, category)
        message_en, message_zh = self._message(message_en, "message_en"), self._message(message_zh, "message_zh")
        if not (message_en or message_zh):
            raise TicketError(N_("Write what callers hear, in English, Chinese or both."), field="message_en",
                              code="required")
        if problem.status not in OPEN_STATUSES:
            raise TicketError(N_("Ticket %(number)s is closed: declare the incident on an open problem ticket."),
                              number=problem.number or "", code="problem_closed")
        if problem.problem_id is not None:
            raise TicketError(N_("Ticket %(number)s is an incident of another problem: declare it there."),
                              number=problem.number or "", code="is_incident")
        incident = session.scalar(select(Incident).where(Incident.problem_id == problem.id,
                                                         Incident.status.in_(LIVE)).with_for_update())
        now = utcnow()
        if incident is None:
            incident = Incident(problem_id=problem.id, revision=1)
            session.add(incident)
        elif incident.status is IncidentStatus.OPEN:
            incident.revision += 1  # a new spoken file: nobody hears the old wording
        incident.status, incident.queue_name, incident.category = IncidentStatus.OPEN, scope.queue, scope.category
        # The call watch's proposals for the callers this incident now speaks to are answered by it.
        for proposal in session.scalars(select(Incident).where(
                Incident.status == IncidentStatus.PROPOSED, Incident.problem_id.is_(None),
                Incident.id != incident.id, true() if scope.queue is None else Incident.queue_name == scope.queue)):
            proposal.status, proposal.ended_by_id, proposal.ended_at = IncidentStatus.DISMISSED, actor.user_id, now
        incident.message_en, incident.message_zh = message_en, message_zh
        incident.declared_by_id, incident.declared_at = actor.user_id, now
        if not problem.is_problem:
            problem.is_problem = True
            self.tickets.history(session, problem, actor, "is_problem", "", "problem",
                                 say_later(N_("made a problem ticket by declaring an incident")))
        session.flush()
        self.tickets.history(session, problem, actor, "incident", None, str(incident.id),
                             say_later(N_("incident declared: callers of %(scope)s hear the message"),
                                       scope=scope.queue or scope.category or "*"))
        audit.record(session, "incident_declared", actor, object_type="ticket", object_id=problem.number,
                     incident=incident.id, queue=scope.queue, category=scope.category, revision=incident.revision)
        self.notifier.declared(session, incident, actor)
        return incident

    def end(self, session: Session, actor: Actor, incident: Incident, *, solved: bool) -> int:
        """No more message.  Solved: every subscriber becomes due to be told; else nobody is called.
        Returns how many subscribers will be told."""
        if incident.status not in LIVE:
            return 0
        was = incident.status
        incident.status = IncidentStatus.ENDED if was is IncidentStatus.OPEN else IncidentStatus.DISMISSED
        incident.ended_by_id, incident.ended_at = actor.user_id, utcnow()
        waiting = (PhoneNotice.incident_id == incident.id) & (
            PhoneNotice.status == NoticeStatus.WAITING)
        told = rowcount(session.execute(update(PhoneNotice).where(waiting).values(
            status=NoticeStatus.DUE if solved else NoticeStatus.CANCELLED, due_at=incident.ended_at)))
        audit.record(session, "incident_dismissed" if was is IncidentStatus.PROPOSED else "incident_ended", actor,
                     object_type="incident", object_id=incident.id, solved=solved, subscribers=told)
        if incident.problem_id is not None and was is IncidentStatus.OPEN:
            problem = session.get(Ticket, incident.problem_id)
            if problem is not None:
                self.tickets.history(session, problem, actor, "incident", str(incident.id), None,
                                     say_later(N_("incident ended; %(n)s caller(s) to be told it is fixed"), n=told)
                                     if solved else say_later(N_("incident ended without a fix to announce")))
        self.notifier.ended(session, incident, actor, solved=solved and told > 0)
        return told if solved else 0

    def solved(self, session: Session, actor: Actor, problem: Ticket) -> int:
        """The problem is solved: its open incidents end and their subscribers become due."""
        told = 0
        for incident in session.scalars(select(Incident).where(Incident.problem_id == problem.id,
                                                               Incident.status == IncidentStatus.OPEN)):
            told += self.end(session, actor, incident, solved=True)
        return told

    # -- the watch -------------------------------------------------------------------------------------
    def watch(self, session: Session, ticket: Ticket, now: dt.datetime | None = None) -> Incident | None:
        """A new ticket: with the similar tickets of the last ``surge_minutes``, is it a surge?  Proposes an
        incident on it when they reach ``surge_count`` and none is open or proposed for them."""
        if self.settings.surge_count <= 0 or ticket.problem_id is not None:
            return None
        now = now or utcnow()
        since = now - dt.timedelta(minutes=self.settings.surge_minutes)
        recent = [a for a in self.similar.for_ticket(session, ticket) if a.created_at >= since]
        if len(recent) + 1 < self.settings.surge_count:
            return None
        problems = {a.problem_id for a in recent if a.problem_id is not None} | {a.ticket_id for a in recent}
        problems.add(ticket.id)
        if session.scalar(select(exists().where(Incident.status.in_(LIVE), Incident.problem_id.in_(problems)))):
            return None
        scope = Scope(category=ticket.category if ticket.category and CATEGORY.match(ticket.category) else None)
        if session.scalar(select(exists().where(Incident.status.in_(LIVE), scope.matches()))):
            return None
        incident = Incident(status=IncidentStatus.PROPOSED, problem_id=ticket.id, category=scope.category,
                            seen=len(recent) + 1, window_minutes=self.settings.surge_minutes)
        session.add(incident)
        session.flush()
        self.notifier.proposed(session, incident)
        return incident

    def watch_calls(self, session: Session, queue: str, now: dt.datetime | None = None) -> Incident | None:
        """A call joined ``queue``: are its calls of the last ``surge_minutes`` a surge against the queue's usual
        for as long?  Then an incident is proposed for the queue (no problem ticket yet: a supervisor declares one
        on a ticket, which replaces the proposal).  The proposal's count follows the surge, and it goes by itself
        once the surge is over.  The queue's proposal, or None."""
        factor, minutes = self.settings.call_surge_factor, self.settings.surge_minutes
        if factor <= 0 or self.settings.surge_count <= 0 or not queue:
            return None
        now = now or utcnow()
        since = now - dt.timedelta(minutes=minutes)
        before = since - dt.timedelta(days=self.settings.call_surge_baseline_days)
        counted = select(func.count()).select_from(Call).where(Call.queue_name == queue)
        seen = int(session.scalar(counted.where(Call.started_at >= since, Call.started_at <= now)) or 0)
        earlier = int(session.scalar(counted.where(Call.started_at >= before, Call.started_at < since)) or 0)
        usual = earlier * minutes / (self.settings.call_surge_baseline_days * 24 * 60)
        surging = seen >= self.settings.surge_count and seen >= factor * usual
        proposal = session.scalar(select(Incident).where(
            Incident.status == IncidentStatus.PROPOSED, Incident.problem_id.is_(None),
            Incident.queue_name == queue).with_for_update())
        if proposal is not None:
            if surging:
                proposal.seen = max(proposal.seen, seen)
                return proposal
            proposal.status, proposal.ended_at = IncidentStatus.DISMISSED, now  # the surge is over
            self.notifier.ended(session, proposal, SURGE_WATCH, solved=False)
            return None
        declared = select(exists().where(Incident.status.in_(LIVE), or_(Incident.queue_name == queue,
                                                                        Incident.queue_name.is_(None))))
        if not surging or session.scalar(declared):
            return None
        incident = Incident(status=IncidentStatus.PROPOSED, queue_name=queue, seen=seen, window_minutes=minutes)
        session.add(incident)
        session.flush()
        self.notifier.proposed(session, incident)
        return incident

    @staticmethod
    def live(session: Session, problem_id: int) -> Incident | None:
        """The problem's incident that is open or proposed (at most one)."""
        return session.scalar(select(Incident).where(Incident.problem_id == problem_id, Incident.status.in_(LIVE))
                              .order_by(Incident.id.desc()).limit(1))

    @staticmethod
    def subscribers(session: Session, incident_id: int) -> int:
        return int(session.scalar(select(func.count()).select_from(PhoneNotice).where(
            PhoneNotice.incident_id == incident_id)) or 0)

    # -- the IVR's -------------------------------------------------------------------------------------
    @staticmethod
    def heard_by(session: Session, queue: str, category: str, skip: set[int]) -> Incident | None:
        """The open incident a caller of ``queue`` (menu ``category``) hears first: the narrowest scope."""
        found = session.scalars(select(Incident).where(
            Incident.status == IncidentStatus.OPEN,
            or_(Incident.queue_name.is_(None), Incident.queue_name == (queue or None)),
            or_(Incident.category.is_(None), Incident.category == (category or None)))
            .order_by(Incident.declared_at.desc())).all()
        found = [i for i in found if i.id not in skip]
        found.sort(key=lambda i: (i.queue_name is None) + (i.category is None))
        return found[0] if found else None

    def subscribe(self, session: Session, incident_id: int, number: str, language: str,
                  call_id: int | None) -> PhoneNotice | None:
        """The caller pressed 1: one subscription per number (the same one again if they press twice).
        NumberRefused when the dialling policy would not let us call them; None if the incident ended."""
        refusal = self.policy.check(number)
        if refusal is not None:
            raise NumberRefused(number, refusal)
        incident = session.get(Incident, incident_id)
        if incident is None or incident.status is not IncidentStatus.OPEN:
            return None
        mine = select(PhoneNotice).where(PhoneNotice.incident_id == incident_id,
                                                  PhoneNotice.number == number)
        found = session.scalar(mine)
        if found is not None:
            return found
        row = PhoneNotice(incident_id=incident_id, number=number, language=language, call_id=call_id)
        try:
            with session.begin_nested():  # the unique (incident, number) settles two presses at once
                session.add(row)
        except IntegrityError:
            return session.scalar(mine)
        self.notifier.subscribed(session, incident, row)
        return row

    # -- checks --------------------------------------------------------------------------------------
    def _scope(self, session: Session, queue: str | None, category: str | None) -> Scope:
        queue, category = (queue or "").strip() or None, (category or "").strip() or None
        if queue is not None and session.scalar(select(Queue.id).where(Queue.name == queue)) is None:
            raise TicketError(N_("There is no queue %(name)s."), name=queue, field="queue", code="not_found")
        if category is not None and not CATEGORY.match(category):
            raise TicketError(N_("A category is lower-case letters, digits and _."), field="category",
                              code="invalid")
        return Scope(queue, category)

    def _message(self, text: str, field: str) -> str:
        text = " ".join(_CONTROL.sub(" ", text or "").split())
        if len(text) > self.settings.incident_max_chars:
            raise TicketError(N_("Callers hear at most %(n)s characters: shorten the message."), field=field,
                              code="too_long", n=self.settings.incident_max_chars)
        return text
