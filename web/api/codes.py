"""API: the centre's codes for admins' scripts: skills and wrap-up codes (made, edited, retired, moved)."""
from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles
from callcenter.i18n import N_
from callcenter.models import Skill, WrapupCode, WrapupKind
from callcenter.people import skills, wrapup

from ..db import get_db
from .admin_schemas import SkillIn, SkillOut, SkillPatch, WrapupIn, WrapupOut, WrapupPatch
from .people import changing
from .registry import ApiError, api_actor, body, endpoint, page


@endpoint("GET", "/skills", roles=roles.ADMINS, scope="admin:read", summary=N_("List skills (retired ones too)"),
          response=SkillOut, many=True, params=("limit", "offset"))
def list_skills() -> ResponseReturnValue:
    return page(select(Skill).order_by(Skill.name), SkillOut.of)


@endpoint("POST", "/skills", roles=roles.ADMINS, scope="admin:write", summary=N_("Add a skill"),
          request_model=SkillIn, response=SkillOut, status=201)
def create_skill() -> ResponseReturnValue:
    data = body(SkillIn)
    with changing() as db:
        skill = skills.create_skill(db, data.name, api_actor(), name_zh=data.name_zh, description=data.description)
    return jsonify(SkillOut.of(skill).model_dump(mode="json")), 201


@endpoint("PATCH", "/skills/<int:skill_id>", roles=roles.ADMINS, scope="admin:write",
          summary=N_("Change a skill's Chinese name or description, retire or restore it (the code never changes)"),
          request_model=SkillPatch, response=SkillOut)
def patch_skill(skill_id: int) -> ResponseReturnValue:
    if get_db().get(Skill, skill_id) is None:
        raise ApiError(404, "not_found", "no such skill")
    data = body(SkillPatch)
    with changing() as db:
        skill = skills.edit_skill(db, skill_id, api_actor(), name_zh=data.name_zh, description=data.description)
        if data.active is not None:
            skills.set_active(db, skill_id, data.active, api_actor())
    return jsonify(SkillOut.of(skill).model_dump(mode="json"))


@endpoint("GET", "/wrapup-codes", roles=roles.ADMINS, scope="admin:read",
          summary=N_("List wrap-up codes in the agents' order (retired ones too)"),
          response=WrapupOut, many=True, params=("limit", "offset"))
def list_wrapup_codes() -> ResponseReturnValue:
    return page(select(WrapupCode).order_by(WrapupCode.position, WrapupCode.id), WrapupOut.of)


@endpoint("POST", "/wrapup-codes", roles=roles.ADMINS, scope="admin:write", summary=N_("Add a wrap-up code (last)"),
          request_model=WrapupIn, response=WrapupOut, status=201)
def create_wrapup_code() -> ResponseReturnValue:
    data = body(WrapupIn)
    with changing() as db:
        row = wrapup.create_code(db, data.code, data.label, api_actor(), label_zh=data.label_zh,
                                 kind=WrapupKind(data.kind))
    return jsonify(WrapupOut.of(row).model_dump(mode="json")), 201


@endpoint("PATCH", "/wrapup-codes/<int:code_id>", roles=roles.ADMINS, scope="admin:write",
          summary=N_("Change a wrap-up code's labels or kind, move it, retire or restore it (the code never changes)"),
          request_model=WrapupPatch, response=WrapupOut)
def patch_wrapup_code(code_id: int) -> ResponseReturnValue:
    if get_db().get(WrapupCode, code_id) is None:
        raise ApiError(404, "not_found", "no such wrap-up code")
    data = body(WrapupPatch)
    with changing() as db:
        row = wrapup.edit_code(db, code_id, api_actor(), label=data.label, label_zh=data.label_zh, kind=data.kind)
        if data.active is not None:
            wrapup.set_active(db, code_id, data.active, api_actor())
        if data.position is not None:
            wrapup.place(db, code_id, data.position, api_actor())
    return jsonify(WrapupOut.of(row).model_dump(mode="json"))
