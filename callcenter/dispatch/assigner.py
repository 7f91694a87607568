"""Putting decisions on tickets: automatic assignment, timeouts, supervisors' reassignment.

Every assignment is a TicketChange of ``assignee_id`` whose reason is the
engine's explanation, so the ticket's history says who got it and why.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..config import AssignmentRules, PresenceSettings
from ..customers.segments import Segments
from ..i18n import N_, Message, clauses, coded, say_later
from ..models import OPEN_STATUSES, Ticket, TicketChange, TicketNote, TicketStatus
from ..tickets.service import TicketService
from .assignment import Decision, Engine, Snapshot
from .load import LiveAgents, build_snapshot, needs_for
from .notifier import DISPATCHER


@dataclass
class Assigner:
    rules: AssignmentRules
    tickets: TicketService
    live: LiveAgents | None = None
    presence: PresenceSettings | None = None
    # Customers' segments (senior agents for some); each dispatcher process holds its own.
    segments: Segments = field(default_factory=Segments)

    def __post_init__(self) -> None:
        self.engine = Engine(self.rules)

    def assign(self, session: Session, ticket_id: int, now: dt.datetime, *,
               exclude: frozenset[int] = frozenset(), why: Message | None = None,
               snapshot: Snapshot | None = None) -> Decision | None:
        """Pick and record an agent; None when the ticket is gone, closed or waiting on the customer (an
        auto-reply's yes or no: nobody's until the customer answers)."""
        ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
        if ticket is None or ticket.status not in OPEN_STATUSES or ticket.status is TicketStatus.PENDING:
            return None
        snap = snapshot or build_snapshot(session, self.rules, self.live, now, self.presence)
        needs = needs_for(session, ticket, self.rules, exclude, self.segments)
        decision = self.engine.decide(snap, needs, now)
        if decision.agent_id is not None and decision.agent_id != ticket.assignee_id:
            self.engine.release(snap, ticket.assignee_id, needs.priority)
            route, explained = coded("route", decision.route), clauses(decision.why)
            reason = say_later(N_("dispatcher (%(route)s): %(cause)s: %(why)s"), route=route, cause=why,
                               why=explained) if why else \
                say_later(N_("dispatcher (%(route)s): %(why)s"), route=route, why=explained)
            self.tickets.assign(session, ticket, decision.agent_id, DISPATCHER, reason=reason, route=decision.route)
            self.engine.commit(snap, needs, decision, now)
        elif decision.agent_id is None:
            self.tickets.add_note(session, ticket, say_later(N_("Dispatcher: %(why)s"), why=clauses(decision.why)),
                                  DISPATCHER)
        return decision

    # -- timeouts ----------------------------------------------------------------
    def last_assignment(self, session: Session, ticket: Ticket) -> TicketChange | None:
        return session.scalar(select(TicketChange).where(
            TicketChange.ticket_id == ticket.id, TicketChange.field == "assignee_id")
            .order_by(TicketChange.id.desc()).limit(1))

    def touched(self, session: Session, ticket: Ticket, since: dt.datetime) -> bool:
        """Did the assignee accept or work on the ticket after it was given to them?"""
        if ticket.first_responded_at is not None and ticket.first_responded_at >= since:
            return True
        who = ticket.assignee_id
        changed = session.scalar(select(exists().where(
            TicketChange.ticket_id == ticket.id, TicketChange.actor_id == who,
            TicketChange.created_at >= since)))
        noted = session.scalar(select(exists().where(
            TicketNote.ticket_id == ticket.id, TicketNote.author_id == who, TicketNote.created_at >= since)))
        return bool(changed or noted)

    def check_acceptance(self, session: Session, ticket_id: int,
                         now: dt.datetime) -> tuple[Decision | None, dt.datetime | None]:
        """Reassign an untouched ticket after the timeout; else when to look again."""
        timeout = dt.timedelta(minutes=self.rules.accept_timeout_minutes)
        ticket = session.get(Ticket, ticket_id)
        if not timeout or ticket is None or ticket.status not in OPEN_STATUSES or ticket.assignee_id is None:
            return None, None
        given = self.last_assignment(session, ticket)
        if given is None or self.touched(session, ticket, given.created_at):
            return None, None
        if now < given.created_at + timeout:
            return None, given.created_at + timeout
        minutes = self.rules.accept_timeout_minutes
        decision = self.assign(session, ticket_id, now, exclude=frozenset({ticket.assignee_id}),
                               why=Message(N_("not accepted within %(minutes)s min"), {"minutes": minutes}))
        return decision, None
