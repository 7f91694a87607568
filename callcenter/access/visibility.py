"""Who may see which tickets, calls and recordings: one place for the rules.

The web pages and the REST API both filter with these clauses, so a rule
can never differ between the two.

* admin: everything.
* supervisor: their team's tickets and calls (team of the ticket, of its
  queue, or of its assignee) — a team they lead or belong to.  A team's
  queues (``team_queues``) are the queues set to it (``Queue.team_id``) and
  the queues set to no team that one of its members serves; a call is a
  queue's by its id, or by its name when the bridge wrote it before it knew
  the queue (``calls_of_queues``).
* agent: tickets assigned to or created by them, and tickets of the queues
  they serve; calls they answered or that rang them, and calls of their queues.
* qa: every call, recording and transcript; tickets read-only.

Callbacks and surveys follow their ticket and call (and, for a supervisor,
the team's queues and members); reports and their figures follow teams
(``report_teams``): a supervisor reads the teams they lead or belong to.

A call's recording, transcript and QA page are narrower for agents: only
calls they answered (``can_open_call``), not every call of their queues.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from ..models import (
    AgentProfile,
    AgentQueue,
    Call,
    Callback,
    Queue,
    Recording,
    Role,
    Survey,
    Team,
    Ticket,
    User,
)
from .roles import EVERYONE, SEE_ALL


def _team_ids(user: User) -> Any:
    led = select(Team.id).where(Team.supervisor_id == user.id)
    if user.team_id is None:
        return led
    return led.union(select(Team.id).where(Team.id == user.team_id))


def _members_of(team_ids: Any) -> Select[tuple[int]]:
    return select(User.id).where(User.team_id.in_(team_ids))


def team_queues(team_ids: Any) -> Select[tuple[int]]:
    """The teams' queues: set to one of them, or set to no team and served by one of their members."""
    served = (select(AgentQueue.queue_id).join(AgentProfile, AgentProfile.id == AgentQueue.agent_id)
              .join(User, User.id == AgentProfile.user_id).where(User.team_id.in_(team_ids)))
    return select(Queue.id).where(or_(Queue.team_id.in_(team_ids),
                                      and_(Queue.team_id.is_(None), Queue.id.in_(served))))


def calls_of_queues(queue_ids: Any) -> ColumnElement[bool]:
    """Calls of these queues (a list of ids or a query of them): by id, or by name where the id is missing."""
    names = select(Queue.name).where(Queue.id.in_(queue_ids))
    return or_(Call.queue_id.in_(queue_ids), and_(Call.queue_id.is_(None), Call.queue_name.in_(names)))


def _agent_queue_ids(user: User) -> Select[tuple[int]]:
    return (select(AgentQueue.queue_id).join(AgentProfile, AgentProfile.id == AgentQueue.agent_id)
            .where(AgentProfile.user_id == user.id))


def ticket_clause(user: User) -> ColumnElement[bool]:
    if user.role in SEE_ALL:
        return true()
    if user.role is Role.SUPERVISOR:
        teams = _team_ids(user)
        return or_(Ticket.team_id.in_(teams), Ticket.assignee_id.in_(_members_of(teams)),
                   Ticket.queue_id.in_(team_queues(teams)))
    if user.role is Role.AGENT:
        return or_(Ticket.assignee_id == user.id, Ticket.created_by_id == user.id,
                   Ticket.queue_id.in_(_agent_queue_ids(user)))
    return false()  # a role without rules here sees nothing


def call_clause(user: User) -> ColumnElement[bool]:
    if user.role in SEE_ALL:
        return true()
    if user.role is Role.SUPERVISOR:
        teams = _team_ids(user)
        return or_(Call.agent_id.in_(_members_of(teams)), calls_of_queues(team_queues(teams)))
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


def callback_clause(user: User) -> ColumnElement[bool]:
    """A callback is seen with its ticket or call, or its queue's or its people's team (agents: their own)."""
    if user.role in SEE_ALL:
        return true()
    by_record = or_(Callback.ticket_id.in_(select(Ticket.id).where(ticket_clause(user))),
                    Callback.call_id.in_(select(Call.id).where(call_clause(user))))
    if user.role is Role.SUPERVISOR:
        teams = _team_ids(user)
        members = _members_of(teams)
        return or_(by_record, Callback.queue_id.in_(team_queues(teams)),
                   Callback.assigned_agent_id.in_(members), Callback.requested_by_id.in_(members))
    if user.role is Role.AGENT:
        return or_(by_record, Callback.queue_id.in_(_agent_queue_ids(user)),
                   Callback.assigned_agent_id == user.id, Callback.requested_by_id == user.id)
    return false()


def survey_clause(user: User) -> ColumnElement[bool]:
    """A survey is seen with its ticket or call, or its agent (a supervisor's team member, an agent's own)."""
    if user.role in SEE_ALL:
        return true()
    by_record = or_(Survey.ticket_id.in_(select(Ticket.id).where(ticket_clause(user))),
                    Survey.call_id.in_(select(Call.id).where(call_clause(user))))
    if user.role is Role.SUPERVISOR:
        return or_(by_record, Survey.agent_id.in_(_members_of(_team_ids(user))))
    if user.role is Role.AGENT:
        return or_(by_record, Survey.agent_id == user.id)
    return false()


def report_teams(session: Session, user: User) -> list[int] | None:
    """The teams whose figures a user may read: None for every team (and figures of no team)."""
    if user.role in SEE_ALL:
        return None
    if user.role is Role.SUPERVISOR:
        return sorted(session.scalars(select(Team.id).where(Team.id.in_(_team_ids(user)))))
    return []


def can_see_team(session: Session, user: User, team_id: int) -> bool:
    teams = report_teams(session, user)
    return teams is None or team_id in teams
