"""Who may see which tickets, calls and recordings: one place for the rules.

The web pages and the REST API both filter with these clauses, so a rule
can never differ between the two.

* admin: everything.
* supervisor: their team's tickets and calls (team of the ticket, of its
  queue, or of its assignee) — a team they lead or belong to.
* agent: tickets assigned to or created by them, and tickets of the queues
  they serve; calls they answered or that rang them, and calls of their queues.
* qa: every call, recording and transcript; tickets read-only.

A call's recording, transcript and QA page are narrower for agents: only
calls they answered (``can_open_call``), not every call of their queues.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from ..models import AgentProfile, AgentQueue, Call, Queue, Recording, Role, Team, Ticket, User
from .roles import EVERYONE, SEE_ALL


def _team_ids(user: User) -> Any:
    led = select(Team.id).where(Team.supervisor_id == user.id)
    if user.team_id is None:
        return led
    return led.union(select(Team.id).where(Team.id == user.team_id))


def _members_of(team_ids: Any) -> Select[tuple[int]]:
    return select(User.id).where(User.team_id.in_(team_ids))


def _agent_queue_ids(user: User) -> Select[tuple[int]]:
    return (select(AgentQueue.queue_id).join(AgentProfile, AgentProfile.id == AgentQueue.agent_id)
            .where(AgentProfile.user_id == user.id))


def ticket_clause(user: User) -> ColumnElement[bool]:
    if user.role in SEE_ALL:
        return true()
    if user.role is Role.SUPERVISOR:
        teams = _team_ids(user)
        return or_(Ticket.team_id.in_(teams), Ticket.assignee_id.in_(_members_of(teams)),
                   Ticket.queue_id.in_(select(Queue.id).where(Queue.team_id.in_(teams))))
    if user.role is Role.AGENT:
        return or_(Ticket.assignee_id == user.id, Ticket.created_by_id == user.id,
                   Ticket.queue_id.in_(_agent_queue_ids(user)))
    return false()  # a role without rules here sees nothing


def call_clause(user: User) -> ColumnElement[bool]:
    if user.role in SEE_ALL:
        return true()
    if user.role is Role.SUPERVISOR:
        teams = _team_ids(user)
        return or_(Call.agent_id.in_(_members_of(teams)),
                   Call.queue_id.in_(select(Queue.id).where(Queue.team_id.in_(teams))))
    if user.role is Role.AGENT:
        return or_(Call.agent_id == user.id, Call.queue_id.in_(_agent_queue_ids(user)))
    return false()


def can_see_ticket(session: Session, user: User, ticket_id: int) -> bool:
    return session.scalar(select(Ticket.id).where(Ticket.id == ticket_id, ticket_clause(user))) is not None


def can_edit_ticket(session: Session, user: User, ticket_id: int) -> bool:
    return user.role is not Role.QA and can_see_ticket(session, user, ticket_id)


def can_see_call(session: Session, user: User, call_id: int) -> bool:
    return session.scalar(select(Call.id).where(Call.id == call_id, call_clause(user))) is not None


def can_open_call(session: Session, user: User, call_id: int) -> bool:
    """A call's recording, transcript and QA page: agents only calls they answered."""
    if user.role is Role.AGENT:
        return session.scalar(select(Call.agent_id).where(Call.id == call_id)) == user.id
    return user.role in EVERYONE and can_see_call(session, user, call_id)


def can_hear(session: Session, user: User, recording: Recording) -> bool:
    return can_open_call(session, user, recording.call_id)
