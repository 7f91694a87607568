"""Administration: intake forms (versioned), users, the audit log (API tokens: ``tokens``)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import roles
from callcenter.forms import catalog
from callcenter.models import AuditLog

from ..auth.access import actor, roles_required
from ..db import get_db
from ..query_args import note_ignored, page_args

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/forms")
@roles_required(roles.ADMINS)
def forms() -> ResponseReturnValue:
    return render_template("admin/forms.html", forms=catalog.active_forms(get_db()))


@bp.route("/forms/<slug>", methods=["GET", "POST"])
@roles_required(roles.ADMINS)
def edit_form(slug: str) -> ResponseReturnValue:
    db = get_db()
    current = catalog.latest(db, slug)
    if current is None:
        abort(404)
    text = request.form.get("definition", "")
    error = None
    if request.method == "POST":
        try:
            spec = catalog.parse(text)
            if spec.slug != slug:
                raise catalog.FormDefinitionError("the slug cannot change; create a new form file instead")
            row = catalog.save_version(db, spec, actor())
            db.commit()
            flash(_("Saved as version %(v)s.", v=row.version), "success")
            return redirect(url_for("admin.edit_form", slug=slug), 303)
        except catalog.FormDefinitionError as exc:
            db.rollback()
            error = str(exc)
    else:
        text = catalog.to_toml(current)
    return render_template("admin/form_edit.html", form=current, text=text, error=error), (400 if error else 200)


@bp.route("/audit")
@roles_required(roles.ADMINS)
def audit_log() -> ResponseReturnValue:
    db = get_db()
    query = select(AuditLog).order_by(AuditLog.id.desc())
    read = page_args()
    action = read.text("action", 80)
    if action:
        query = query.where(AuditLog.action == action)
    actor_name = read.text("actor", 80)
    note_ignored(read)
    if actor_name:
        query = query.where(AuditLog.actor_name == actor_name)
    rows = db.scalars(query.limit(500)).all()
    return render_template("admin/audit.html", rows=rows, action=action, actor=actor_name)
