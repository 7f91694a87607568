"""The centre's codes in the admin pages: skills (what the dispatcher matches on) and wrap-up codes (how a
call ended, in the agents' order); each made, edited, retired and restored here, wrap-up codes also moved."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles
from callcenter.models import Skill, WrapupCode, WrapupKind
from callcenter.people import skills, wrapup

from ..auth.access import actor, roles_required
from ..db import get_db
from .pages import row_or_404, saved, with_status
from .routes import bp


def _text(name: str, limit: int = 300) -> str:
    return request.form.get(name, "")[:limit]


def _saved(endpoint: str, work: Callable[[], Any], page: Callable[[dict[str, str]], ResponseReturnValue],
           message: str) -> ResponseReturnValue:
    """Run a service call; on a refusal show the page again with the error, else commit and go back."""
    return saved(work, page, message, lambda: url_for(endpoint))


# -- skills -----------------------------------------------------------------------------------
def _skills(errors: dict[str, str]) -> ResponseReturnValue:
    typed = {k: _text(k) for k in ("name", "name_zh", "description")} if errors else {}
    return with_status(render_template("admin/skills.html", skills=skills.listing(get_db()), typed=typed,
                                       errors=errors), bool(errors))


@bp.route("/skills")
@roles_required(roles.ADMINS)
def skills_page() -> ResponseReturnValue:
    return _skills({})


@bp.route("/skills", methods=["POST"])
@roles_required(roles.ADMINS)
def add_skill() -> ResponseReturnValue:
    return _saved("admin.skills_page", lambda: skills.create_skill(
        get_db(), _text("name"), actor(), name_zh=_text("name_zh"), description=_text("description")),
        _skills, _("Skill %(s)s added.", s=_text("name", 40)))


@bp.route("/skills/<int:skill_id>", methods=["POST"])
@roles_required(roles.ADMINS)
def edit_skill(skill_id: int) -> ResponseReturnValue:
    skill = row_or_404(Skill, skill_id)
    return _saved("admin.skills_page", lambda: skills.edit_skill(
        get_db(), skill.id, actor(), name_zh=_text("name_zh"), description=_text("description")),
        _skills, _("Skill %(s)s saved.", s=skill.name))


@bp.route("/skills/<int:skill_id>/active", methods=["POST"])
@roles_required(roles.ADMINS)
def skill_active(skill_id: int) -> ResponseReturnValue:
    skill = row_or_404(Skill, skill_id)
    active = request.form.get("active") == "1"
    return _saved("admin.skills_page", lambda: skills.set_active(get_db(), skill.id, active, actor()), _skills,
                  _("Skill %(s)s restored.", s=skill.name) if active else _("Skill %(s)s retired.", s=skill.name))


# -- wrap-up codes ----------------------------------------------------------------------------
def _codes(errors: dict[str, str]) -> ResponseReturnValue:
    typed = {k: _text(k) for k in ("code", "label", "label_zh", "kind")} if errors else {}
    return with_status(render_template("admin/wrapup_codes.html", codes=wrapup.listing(get_db()),
                                       kinds=list(WrapupKind), typed=typed, errors=errors), bool(errors))


@bp.route("/wrapup-codes")
@roles_required(roles.ADMINS)
def wrapup_page() -> ResponseReturnValue:
    return _codes({})


@bp.route("/wrapup-codes", methods=["POST"])
@roles_required(roles.ADMINS)
def add_wrapup() -> ResponseReturnValue:
    return _saved("admin.wrapup_page", lambda: wrapup.create_code(
        get_db(), _text("code"), _text("label"), actor(), label_zh=_text("label_zh"), kind=_text("kind", 20)),
        _codes, _("Wrap-up code %(c)s added.", c=_text("code", 40)))


@bp.route("/wrapup-codes/<int:code_id>", methods=["POST"])
@roles_required(roles.ADMINS)
def edit_wrapup(code_id: int) -> ResponseReturnValue:
    row = row_or_404(WrapupCode, code_id)
    return _saved("admin.wrapup_page", lambda: wrapup.edit_code(
        get_db(), row.id, actor(), label=_text("label"), label_zh=_text("label_zh"), kind=_text("kind", 20)),
        _codes, _("Wrap-up code %(c)s saved.", c=row.code))


@bp.route("/wrapup-codes/<int:code_id>/active", methods=["POST"])
@roles_required(roles.ADMINS)
def wrapup_active(code_id: int) -> ResponseReturnValue:
    row = row_or_404(WrapupCode, code_id)
    active = request.form.get("active") == "1"
    return _saved("admin.wrapup_page", lambda: wrapup.set_active(get_db(), row.id, active, actor()), _codes,
                  _("Wrap-up code %(c)s restored.", c=row.code) if active
                  else _("Wrap-up code %(c)s retired.", c=row.code))


@bp.route("/wrapup-codes/<int:code_id>/move", methods=["POST"])
@roles_required(roles.ADMINS)
def move_wrapup(code_id: int) -> ResponseReturnValue:
    """One place up or down the agents' list."""
    row = row_or_404(WrapupCode, code_id)
    order = [r.id for r in wrapup.listing(get_db())]
    step = -1 if request.form.get("direction") == "up" else 1
    return _saved("admin.wrapup_page", lambda: wrapup.place(get_db(), row.id, order.index(row.id) + step, actor()),
                  _codes, _("Wrap-up code %(c)s moved.", c=row.code))
