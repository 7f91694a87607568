"""API: the centre's queues (admins): list, one, create, change (``is_active: false`` retires one).

Teams, skills and forms are named, as people write them; every change goes
through the queue service (checked, audited, and written for Asterisk).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select

from callcenter.access import roles
from callcenter.i18n import N_, Refusal
from callcenter.inputs.parsers import MAX_OFFSET
from callcenter.models import Queue, Skill, Team
from callcenter.queues import fields
from callcenter.queues.service import get

from ..db import get_db
from .registry import ApiError, api_actor, args, body, container, endpoint
from .schemas import STRICT, Text
from .spec import MAX_PAGE

Short = Annotated[Text, Field(max_length=80)]
Hours = dict[Annotated[Text, Field(max_length=3)], Annotated[Text, Field(max_length=11)]]


class QueueChange(BaseModel):
    """Settings to change; a field left out stays as it is, ``null`` or "" clears one that may be empty."""

    model_config = STRICT
    display_name: Annotated[Text, Field(max_length=200)] | None = None
    display_name_zh: Annotated[Text, Field(max_length=200)] | None = None
    language: Short | None = Field(None, description=N_("An IVR prompt language (en, zh) or null"))
    team: Short | None = Field(None, description=N_("A team's name, or null"))
    skill: Short | None = Field(None, description=N_("A skill's name, or null"))
    service_level_seconds: int | None = Field(None, ge=1, le=3600)
    service_level_target: int | None = Field(None, ge=1, le=100, description=N_("Percent of calls"))
    business_hours: Hours | None = Field(
        None, description=N_('Opening hours per weekday, {"mon": "09:00-18:00", "sat": ""} ("" closed, "24h" all '
                             "day); {} for the centre's hours"))
    default_form: Short | None = Field(
        None, description=N_("An active form's slug, or null (the category's form)"))
    recording: bool | None = None
    did: Annotated[Text, Field(max_length=21)] | None = Field(
        None, description=N_("Direct number: digits, optional +"))
    monitoring_allowed: bool | None = None


class QueueIn(QueueChange):
    name: Annotated[Text, Field(min_length=1, max_length=40, description=N_("The Asterisk name: [a-z][a-z0-9_]*"))]


class QueuePatch(QueueChange):
    is_active: bool | None = Field(None, description=N_("false retires the queue, true puts it back in service"))


class QueueOut(BaseModel):
    name: str
    display_name: str
    display_name_zh: str
    language: str | None
    team: str | None
    skill: str | None
    service_level_seconds: int
    service_level_target: int
    business_hours: dict[str, str]
    default_form: str | None
    recording: bool
    did: str | None
    monitoring_allowed: bool
    managed: bool = Field(description=N_("Defined here (written for Asterisk) rather than in queues.conf"))
    is_active: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, q: Queue, team: str | None, skill: str | None) -> QueueOut:
        return cls(name=q.name, display_name=q.display_name, display_name_zh=q.display_name_zh, language=q.language,
                   team=team, skill=skill, service_level_seconds=q.service_level_seconds,
                   service_level_target=q.service_level_target, business_hours=dict(q.business_hours or {}),
                   default_form=q.default_form, recording=q.recording, did=q.did,
                   monitoring_allowed=q.monitoring_allowed, managed=q.managed, is_active=q.is_active,
                   created_at=q.created_at)


def _rows() -> Select[tuple[Queue, str, str]]:  # team and skill: NULL when the queue has none
    return (select(Queue, Team.name, Skill.name).outerjoin(Team, Team.id == Queue.team_id)
            .outerjoin(Skill, Skill.id == Queue.skill_id))


def _one(name: str) -> QueueOut:
    row = get_db().execute(_rows().where(Queue.name == name)).first()
    if row is None:
        raise ApiError(404, "not_found", "no such queue")
    return QueueOut.of(*row)


def _refused(exc: Refusal) -> ApiError:
    get_db().rollback()
    errors = exc.errors if isinstance(exc, fields.InvalidQueue) else {exc.field or "name": exc}
    if exc.code == "not_found":
        return ApiError(404, "not_found", "no such queue")
    if any(e.code == "taken" for e in errors.values()):
        return ApiError(409, "conflict", str(exc), {k: str(v) for k, v in errors.items()})
    return ApiError(422, "invalid", str(exc), {k: str(v) for k, v in errors.items()})


@endpoint("GET", "/queues", roles=roles.ADMINS, scope="admin:read", summary=N_("List queues"),
          response=QueueOut, many=True, params=("limit", "offset"))
def list_queues() -> ResponseReturnValue:
    db, read = get_db(), args()
    limit = read.whole("limit", 1, MAX_PAGE) or 50
    offset = read.whole("offset", 0, MAX_OFFSET) or 0
    total = db.scalar(select(func.count()).select_from(Queue)) or 0
    rows = db.execute(_rows().order_by(Queue.name).limit(limit).offset(offset)).all()
    return jsonify(items=[QueueOut.of(*r).model_dump(mode="json") for r in rows], total=total, limit=limit,
                   offset=offset)


@endpoint("GET", "/queues/<name>", roles=roles.ADMINS, scope="admin:read", summary=N_("One queue"),
          response=QueueOut)
def get_queue(name: str) -> ResponseReturnValue:
    return jsonify(_one(name).model_dump(mode="json"))


@endpoint("POST", "/queues", roles=roles.ADMINS, scope="admin:write",
          summary=N_("Create a queue (Asterisk learns it)"), request_model=QueueIn, response=QueueOut, status=201)
def create_queue() -> ResponseReturnValue:
    db, data = get_db(), body(QueueIn)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"name"})
    try:
        container().queues.create(db, api_actor(), data.name, **changes)
    except Refusal as exc:
        raise _refused(exc) from None
    db.commit()
    return jsonify(_one(data.name).model_dump(mode="json")), 201


@endpoint("PATCH", "/queues/<name>", roles=roles.ADMINS, scope="admin:write",
          summary=N_("Change a queue's settings, retire it or put it back"), request_model=QueuePatch,
          response=QueueOut)
def patch_queue(name: str) -> ResponseReturnValue:
    db, data = get_db(), body(QueuePatch)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"is_active"})
    service = container().queues
    try:
        get(db, name)
        if changes:
            service.edit(db, api_actor(), name, **changes)
        if data.is_active is not None:
            (service.reinstate if data.is_active else service.retire)(db, api_actor(), name)
    except Refusal as exc:
        raise _refused(exc) from None
    db.commit()
    return jsonify(_one(name).model_dump(mode="json"))
