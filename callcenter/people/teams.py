"""Teams: a name, a lead supervisor and members; a supervisor sees the tickets and calls of the teams they lead
or belong to (``access.visibility``), so every change here changes what someone sees, and is audited.

A supervisor may lead several teams; a user belongs to one team at most
(``User.team_id``).  Only an empty team is deleted: no members and no
queues, so nobody loses sight of work by accident (its past tickets keep
their data, without the team).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.accounts import get_user
from ..access.audit import Actor
from ..access.roles import MANAGERS
from ..i18n import N_, Refusal
from ..models import Queue, Team, User
from .texts import line


class TeamError(Refusal):
    """A team change refused, and why."""


def validate_name(value: str) -> str:
    name = line(value, 80, required=True)
    if name is None:
        raise TeamError(N_("A team name is 1-80 characters on one line."), field="name", code="bad_team_name")
    return name


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise TeamError(N_("There is no team %(id)s."), field="team", code="not_found", id=team_id)
    return team


def _named(session: Session, name: str) -> Team | None:
    """The team of this name, whatever its case.  Compared in Python: SQLite's lower() folds ASCII only,
    so "Ô" and "ô" passed a lower() check there and then collided on the unique name (a centre has few teams)."""
    wanted = " ".join(name.split()).casefold()
    return next((t for t in session.scalars(select(Team)) if t.name.casefold() == wanted), None)


def by_name(session: Session, name: str) -> Team:
    team = _named(session, name)
    if team is None:
        raise TeamError(N_("There is no team %(name)s."), field="team", code="not_found", name=name.strip()[:80])
    return team


def members(session: Session, team_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.team_id == team_id).order_by(User.username)))


def _unique(session: Session, name: str, team_id: int | None = None) -> str:
    holder = _named(session, name)
    if holder is not None and holder.id != team_id:
        raise TeamError(N_("There is already a team named %(name)s."), field="name", code="taken", name=name)
    return name


def _lead(session: Session, lead_id: int | None) -> User | None:
    if lead_id is None:
        return None
    lead = session.get(User, lead_id)
    if lead is None or not lead.is_active or lead.role not in MANAGERS:
        raise TeamError(N_("The lead must be an active supervisor or administrator."), field="supervisor_id",
                        code="bad_lead")
    return lead


def create_team(session: Session, name: str, actor: Actor, lead_id: int | None = None) -> Team:
    team = Team(name=_unique(session, validate_name(name)))
    lead = _lead(session, lead_id)
    team.supervisor_id = lead.id if lead else None
    session.add(team)
    session.flush()
    audit.record(session, "team_created", actor, object_type="team", object_id=team.id, name=team.name,
                 lead=lead.username if lead else None)
    return team


def rename_team(session: Session, team_id: int, name: str, actor: Actor) -> Team:
    team = get_team(session, team_id)
    new = _unique(session, validate_name(name), team.id)
    if new != team.name:
        audit.record(session, "team_renamed", actor, object_type="team", object_id=team.id, old=team.name, new=new)
        team.name = new
    return team


def set_lead(session: Session, team_id: int, lead_id: int | None, actor: Actor) -> Team:
    """The team's lead supervisor (None: no lead); the old and new lead are audited by username."""
    team = get_team(session, team_id)
    lead = _lead(session, lead_id)
    if team.supervisor_id == (lead.id if lead else None):
        return team
    old = session.get(User, team.supervisor_id) if team.supervisor_id else None
    team.supervisor_id = lead.id if lead else None
    audit.record(session, "team_lead_changed", actor, object_type="team", object_id=team.id,
                 old=old.username if old else None, new=lead.username if lead else None)
    return team


def set_team(session: Session, user_id: int, team_id: int | None, actor: Actor) -> User:
    """Put a user in a team (None: in none); they leave the team they were in."""
    user = get_user(session, user_id)
    team = get_team(session, team_id) if team_id is not None else None
    if user.team_id == (team.id if team else None):
        return user
    old = session.get(Team, user.team_id) if user.team_id else None
    user.team_id = team.id if team else None
    audit.record(session, "user_team_changed", actor, object_type="user", object_id=user.id,
                 old=old.name if old else None, new=team.name if team else None)
    return user


def remove_member(session: Session, team_id: int, user_id: int, actor: Actor) -> User:
    user = session.get(User, user_id)
    if user is None or user.team_id != get_team(session, team_id).id:
        raise TeamError(N_("This user is not a member of the team."), field="user", code="not_member")
    return set_team(session, user_id, None, actor)


def set_members(session: Session, team_id: int, user_ids: Iterable[int], actor: Actor) -> list[User]:
    """The team's members are exactly ``user_ids`` (the API's PATCH): the others leave, the new ones join."""
    team = get_team(session, team_id)
    wanted = list(dict.fromkeys(user_ids))
    for user in members(session, team.id):
        if user.id not in wanted:
            set_team(session, user.id, None, actor)
    for user_id in wanted:
        set_team(session, user_id, team.id, actor)
    return members(session, team.id)


def delete_team(session: Session, team_id: int, actor: Actor) -> None:
    team = get_team(session, team_id)
    people = session.scalar(select(func.count()).select_from(User).where(User.team_id == team.id)) or 0
    queues = session.scalar(select(func.count()).select_from(Queue).where(Queue.team_id == team.id)) or 0
    if people or queues:
        raise TeamError(N_("Only an empty team can be deleted: it has %(people)s member(s) and %(queues)s "
                           "queue(s)."), field="team", code="team_not_empty", people=people, queues=queues)
    audit.record(session, "team_deleted", actor, object_type="team", object_id=team.id, name=team.name)
    session.delete(team)
