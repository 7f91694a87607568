"""Admin › queues: the list (with what each PBX knows), create and edit with a weekly hours grid, retire.

Admins change queues; supervisors may look (hours, targets and numbers of
the queues they lead).  Every change goes through the queue service, which
checks, audits and announces it; a refusal keeps what was typed and says
what is wrong beside each field, in the reader's language.
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from callcenter.access import roles
from callcenter.dispatch.calendar import DAYS
from callcenter.forms import catalog
from callcenter.i18n import Refusal
from callcenter.models import Queue, Skill, Team
from callcenter.queues import fields, hours, status
from callcenter.queues.service import QueueService, get
from callcenter.wiring import Container

from ..auth.access import actor, roles_required, user
from ..db import get_db, release_db
from ..messages import field_errors, refusal
from ..query_args import note_ignored, page_args
from .routes import bp

PAGE = 50
DAY_LABELS = {"mon": _l("Mon"), "tue": _l("Tue"), "wed": _l("Wed"), "thu": _l("Thu"), "fri": _l("Fri"),
              "sat": _l("Sat"), "sun": _l("Sun")}
TEXT_FIELDS = ("display_name", "display_name_zh", "language", "skill", "team", "service_level_seconds",
               "service_level_target", "default_form", "did")
FLAGS = ("recording", "monitoring_allowed")


def _container() -> Container:
    found: Container = current_app.extensions["container"]
    return found


def _service() -> QueueService:
    return _container().queues


@bp.route("/queues")
@roles_required(roles.MANAGERS)
def queues() -> ResponseReturnValue:
    db = get_db()
    read = page_args()
    page = read.whole("page", 1, 10_000) or 1
    note_ignored(read)
    total = db.scalar(select(func.count()).select_from(Queue)) or 0
    rows = db.execute(select(Queue, Team.name).outerjoin(Team, Team.id == Queue.team_id)
                      .order_by(Queue.is_active.desc(), Queue.name).offset((page - 1) * PAGE).limit(PAGE)).all()
    pbxes = [p.name for p in _container().settings.pbxes()]
    release_db()  # asking the PBXs may take a moment: hold no database session meanwhile
    return render_template("admin/queues.html", rows=rows, page=page, pages=max(1, -(-total // PAGE)),
                           args=request.args, known=status.known(_container().controls, pbxes),
                           days=DAY_LABELS, groups=hours.groups, can_edit=user().role in roles.ADMINS)


@bp.route("/queues/sync", methods=["POST"])
@roles_required(roles.ADMINS)
def queue_sync() -> ResponseReturnValue:
    pbxes = [p.name for p in _container().settings.pbxes()]
    if not pbxes:
        flash(_("No PBX is configured."), "error")
        return redirect(url_for("admin.queues"), 303)
    release_db()
    result = status.sync(_container().session_factory, _container().controls, pbxes, actor())
    for pbx in result.unreachable:
        flash(_("%(pbx)s did not answer over AMI.", pbx=pbx), "error")
    if result.added:
        flash(_("Added from Asterisk: %(names)s.", names=", ".join(result.added)), "success")
    elif len(result.unreachable) < len(pbxes):
        flash(_("Every queue Asterisk has is already here."), "success")
    return redirect(url_for("admin.queues"), 303)


@bp.route("/queues/new")
@roles_required(roles.ADMINS)
def queue_new() -> ResponseReturnValue:
    return _page(None, MultiDict())


@bp.route("/queues/new", methods=["POST"])
@roles_required(roles.ADMINS)
def queue_create() -> ResponseReturnValue:
    db = get_db()
    name = request.form.get("name", "").strip()
    try:
        _service().create(db, actor(), name, **_changes(request.form))
        db.commit()
    except Refusal as exc:
        db.rollback()
        return _page(None, request.form, exc)
    flash(_("Queue %(name)s created. Asterisk learns it in a moment.", name=name), "success")
    return redirect(url_for("admin.queue_edit", name=name), 303)


@bp.route("/queues/<name>/edit")
@roles_required(roles.MANAGERS)
def queue_edit(name: str) -> ResponseReturnValue:
    return _page(_queue(name), MultiDict())


@bp.route("/queues/<name>/edit", methods=["POST"])
@roles_required(roles.ADMINS)
def queue_save(name: str) -> ResponseReturnValue:
    db = get_db()
    queue = _queue(name)
    try:
        _service().edit(db, actor(), queue.name, **_changes(request.form))
        db.commit()
    except Refusal as exc:
        db.rollback()
        return _page(_queue(name), request.form, exc)
    flash(_("Queue %(name)s saved.", name=name), "success")
    return redirect(url_for("admin.queue_edit", name=name), 303)


@bp.route("/queues/<name>/retire", methods=["POST"])
@roles_required(roles.ADMINS)
def queue_retire(name: str) -> ResponseReturnValue:
    return _set_active(name, False)


@bp.route("/queues/<name>/reinstate", methods=["POST"])
@roles_required(roles.ADMINS)
def queue_reinstate(name: str) -> ResponseReturnValue:
    return _set_active(name, True)


def _set_active(name: str, active: bool) -> ResponseReturnValue:
    db = get_db()
    _queue(name)
    try:
        (_service().reinstate if active else _service().retire)(db, actor(), name)
        db.commit()
    except Refusal as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("admin.queue_edit", name=name), 303)
    flash(_("Queue %(name)s is in service again.", name=name) if active
          else _("Queue %(name)s is retired: no caller is sent there any more.", name=name), "success")
    return redirect(url_for("admin.queues"), 303)


def _queue(name: str) -> Queue:
    try:
        return get(get_db(), name)
    except Refusal:
        abort(404)


def _changes(form: MultiDict[str, str]) -> dict[str, Any]:
    """What the form asks to change: only the fields it holds (a checkbox comes with a hidden "0")."""
    changes: dict[str, Any] = {name: form[name].strip() for name in TEXT_FIELDS if name in form}
    changes.update({name: form.getlist(name)[-1] == "1" for name in FLAGS if name in form})
    mode = form.get("hours_mode")
    if mode == "centre":
        changes["business_hours"] = {}
    elif mode == "own":
        changes["business_hours"] = {day: (f"{form.get(f'from_{day}', '')}-{form.get(f'to_{day}', '')}"
                                           if form.getlist(f"open_{day}")[-1:] == ["1"] else "") for day in DAYS}
    return changes


def _grid(queue: Queue | None, form: MultiDict[str, str]) -> tuple[str, list[tuple[str, bool, str, str]]]:
    """The hours grid as shown: mode ("centre"/"own") and per weekday (day, open, from, to); what was typed
    wins, else the queue's hours, else the centre's as a starting point."""
    if "hours_mode" in form:
        return form["hours_mode"], [(d, form.getlist(f"open_{d}")[-1:] == ["1"], form.get(f"from_{d}", ""),
                                     form.get(f"to_{d}", "")) for d in DAYS]
    own = dict(queue.business_hours) if queue else {}
    shown = own or _container().settings.dispatch.sla.business_hours
    rows = []
    for day in DAYS:
        span = shown.get(day, "")
        start, _sep, end = ("00:00-23:59" if span == hours.ALL_DAY else span).partition("-")
        rows.append((day, bool(span), start or "09:00", end or "18:00"))
    return ("own" if own else "centre"), rows


def _page(queue: Queue | None, form: MultiDict[str, str], error: Refusal | None = None) -> ResponseReturnValue:
    errors: dict[str, str] = {}
    if isinstance(error, fields.InvalidQueue):
        errors = field_errors(dict[str, Refusal | str](error.errors))
    elif error is not None:
        errors = {error.field or "name": refusal(error)}
    return render_template("admin/queue_edit.html", queue=queue, form=form, errors=errors, days=DAY_LABELS,
                           can_edit=user().role in roles.ADMINS, grid=_grid(queue, form), **_choices(queue)), \
        (422 if error is not None else 200)


def _choices(queue: Queue | None) -> dict[str, Any]:
    """The lists the form chooses from, the queue's current team and skill, and the centre's hours."""
    db, settings = get_db(), _container().settings
    return {"teams": db.scalars(select(Team.name).order_by(Team.name)).all(),
            "skills": db.scalars(select(Skill.name).order_by(Skill.name)).all(),
            "forms": catalog.active_forms(db), "languages": settings.ivr.languages,
            "centre": hours.groups(settings.dispatch.sla.business_hours),
            "centre_closes": settings.ivr.closed_outside_centre_hours, "timezone": settings.timezone,
            "team_name": (db.scalar(select(Team.name).where(Team.id == queue.team_id))
                          if queue and queue.team_id else ""),
            "skill_name": (db.scalar(select(Skill.name).where(Skill.id == queue.skill_id))
                           if queue and queue.skill_id else "")}
