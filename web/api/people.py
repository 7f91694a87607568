"""API: the centre's people for admins' scripts and HR systems: users, teams and agent profiles.

A refused change answers 422 (409 when it clashes with another record,
or would leave the centre without an active admin) with each wrong field
in ``fields``; a created user's one-time password is in the answer once.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callcenter.access import roles
from callcenter.i18n import N_, Refusal
from callcenter.models import Team, User
from callcenter.people import teams, users
from callcenter.people.profile_values import ProfileChange

from ..db import get_db
from .admin_schemas import ProfileIn, ProfileOut, TeamIn, TeamOut, TeamPatch, UserCreatedOut, UserIn, UserOut, UserPatch
from .registry import ApiError, api_actor, args, body, container, endpoint, page

# Refusals that clash with another record (or the last admin) rather than being wrong in themselves.
CONFLICTS = {"taken", "last_admin", "team_not_empty"}


def refused(exc: Refusal) -> ApiError:
    """The refusal as a problem: every wrong field (a profile names several) with its English message."""
    errors = getattr(exc, "errors", None) or {exc.field or "_": exc}
    conflict = exc.code in CONFLICTS
    return ApiError(409 if conflict else 422, "conflict" if conflict else "invalid", str(exc),
                    {field: str(e) for field, e in errors.items()})


@contextmanager
def changing() -> Iterator[Session]:
    """The request's session for one change: committed after the block, or rolled back and a problem."""
    db = get_db()
    try:
        yield db
    except Refusal as exc:
        db.rollback()
        raise refused(exc) from None
    db.commit()


def _user(user_id: int) -> User:
    user = get_db().get(User, user_id)
    if user is None:
        raise ApiError(404, "not_found", "no such user")
    return user


@endpoint("GET", "/users", roles=roles.ADMINS, scope="admin:read", summary=N_("List users (by username; q searches)"),
          response=UserOut, many=True, params=("q", "limit", "offset"))
def list_users() -> ResponseReturnValue:
    return page(users.listing(args().text("q", 100)).options(selectinload(User.agent)), UserOut.of)


@endpoint("GET", "/users/<int:user_id>", roles=roles.ADMINS, scope="admin:read", summary=N_("One user"),
          response=UserOut)
def get_user(user_id: int) -> ResponseReturnValue:
    return jsonify(UserOut.of(_user(user_id)).model_dump(mode="json"))


@endpoint("POST", "/users", roles=roles.ADMINS, scope="admin:write",
          summary=N_("Add a user (the answer holds their one-time password, once)"),
          request_model=UserIn, response=UserCreatedOut, status=201)
def create_user() -> ResponseReturnValue:
    data = body(UserIn)
    with changing() as db:
        user, password = users.add_user(db, data.username, data.role, api_actor(), display_name=data.display_name,
                                        email=data.email, language=data.language, team_id=data.team_id,
                                        sip_interface=data.sip_interface, extension=data.extension)
    out = UserCreatedOut(**UserOut.of(user).model_dump(), one_time_password=password)
    return jsonify(out.model_dump(mode="json")), 201, {"Cache-Control": "no-store"}


@endpoint("PATCH", "/users/<int:user_id>", roles=roles.ADMINS, scope="admin:write",
          summary=N_("Change a user's name, e-mail, language, role, team or whether they are active"),
          request_model=UserPatch, response=UserOut)
def patch_user(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    data = body(UserPatch)
    actor = api_actor()
    with changing() as db:
        users.edit_user(db, user.id, actor, display_name=data.display_name, email=data.email,
                        language=data.language)
        if data.role is not None:
            users.change_role(db, user.id, data.role, actor)
        if data.active is not None:
            users.set_active(db, user.id, data.active, actor)
        if "team_id" in data.model_fields_set:
            teams.set_team(db, user.id, data.team_id, actor)
    return jsonify(UserOut.of(user).model_dump(mode="json"))


def _team(team_id: int) -> Team:
    team = get_db().get(Team, team_id)
    if team is None:
        raise ApiError(404, "not_found", "no such team")
    return team


def _team_out(team: Team) -> TeamOut:
    return TeamOut.of(team, teams.members(get_db(), team.id))


@endpoint("GET", "/teams", roles=roles.ADMINS, scope="admin:read", summary=N_("List teams with their lead and members"),
          response=TeamOut, many=True, params=("limit", "offset"))
def list_teams() -> ResponseReturnValue:
    return page(select(Team).order_by(Team.name), _team_out)


@endpoint("GET", "/teams/<int:team_id>", roles=roles.ADMINS, scope="admin:read", summary=N_("One team"),
          response=TeamOut)
def get_team(team_id: int) -> ResponseReturnValue:
    return jsonify(_team_out(_team(team_id)).model_dump(mode="json"))


@endpoint("POST", "/teams", roles=roles.ADMINS, scope="admin:write", summary=N_("Make a team (lead, members)"),
          request_model=TeamIn, response=TeamOut, status=201)
def create_team() -> ResponseReturnValue:
    data = body(TeamIn)
    with changing() as db:
        team = teams.create_team(db, data.name, api_actor(), data.supervisor_id)
        teams.set_members(db, team.id, data.members, api_actor())
    return jsonify(_team_out(team).model_dump(mode="json")), 201


@endpoint("PATCH", "/teams/<int:team_id>", roles=roles.ADMINS, scope="admin:write",
          summary=N_("Rename a team, change its lead (null: none) or its members (the whole list)"),
          request_model=TeamPatch, response=TeamOut)
def patch_team(team_id: int) -> ResponseReturnValue:
    team = _team(team_id)
    data = body(TeamPatch)
    with changing() as db:
        if data.name is not None:
            teams.rename_team(db, team.id, data.name, api_actor())
        if "supervisor_id" in data.model_fields_set:
            teams.set_lead(db, team.id, data.supervisor_id, api_actor())
        if data.members is not None:
            teams.set_members(db, team.id, data.members, api_actor())
    return jsonify(_team_out(team).model_dump(mode="json"))


@endpoint("GET", "/users/<int:user_id>/profile", roles=roles.ADMINS, scope="admin:read",
          summary=N_("A user's agent profile: phones, skills, languages, capacity, seniority, queues"),
          response=ProfileOut)
def get_profile(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    return jsonify(ProfileOut.of(user.id, user.agent).model_dump(mode="json"))


@endpoint("PUT", "/users/<int:user_id>/profile", roles=roles.ADMINS, scope="admin:write",
          summary=N_("Replace a user's agent profile (a signed-in agent's queues follow in Asterisk)"),
          request_model=ProfileIn, response=ProfileOut)
def put_profile(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    data = body(ProfileIn)
    change = ProfileChange(sip_interface=data.sip_interface or "", extension=data.extension or "",
                           skills=dict(data.skills), languages=list(data.languages), capacity=data.capacity,
                           seniority=data.seniority, queues=dict(data.queues))
    with changing() as db:
        container().profiles.update(db, user.id, change, api_actor())
    db.refresh(user)
    return jsonify(ProfileOut.of(user.id, user.agent).model_dump(mode="json"))
