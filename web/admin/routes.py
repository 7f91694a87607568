"""Administration: users, the audit log (intake forms: ``forms``; API tokens: ``tokens``)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import accounts, roles
from callcenter.models import AuditLog, Role, User

from .. import audit_labels
from ..auth.access import actor, roles_required
from ..db import get_db
from ..query_args import note_ignored, page_args

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@roles_required(roles.ADMINS)
def users() -> ResponseReturnValue:
    db = get_db()
    created = None
    if request.method == "POST":
        try:
            user, password = accounts.create_user(
                db, request.form.get("username", ""), request.form.get("role", ""),
                display_name=request.form.get("display_name", "")[:200],
                sip_interface=request.form.get("sip_interface") or None,
                extension=request.form.get("extension", "")[:20] or None, actor=actor())
            db.commit()
            created = (user.username, password)
        except (accounts.AccountError, ValueError) as exc:
            db.rollback()
            flash(str(exc), "error")
    rows = db.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, roles=list(Role), created=created)


@bp.route("/users/<int:user_id>/access", methods=["POST"])
@roles_required(roles.ADMINS)
def change_access(user_id: int) -> ResponseReturnValue:
    """Role and active flag; either change ends every session of the user (accounts does that)."""
    db = get_db()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    role, active = request.form.get("role", ""), request.form.get("active", "")
    if role not in {r.value for r in Role} or active not in ("0", "1"):
        abort(400)
    try:
        accounts.change_role(db, user_id, role, actor())
        accounts.set_active(db, user_id, active == "1", actor())
        db.commit()
        flash(_("%(u)s updated. If anything changed, their sessions have ended.", u=user.username), "success")
    except accounts.AccountError as exc:
        db.rollback()
        flash(_("The last admin must stay an active admin.") if exc.args[0] == accounts.LAST_ADMIN else str(exc),
              "error")
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/<int:user_id>/extension", methods=["POST"])
@roles_required(roles.ADMINS)
def change_extension(user_id: int) -> ResponseReturnValue:
    """The user's softphone extension (empty: none; their browser shows no phone)."""
    db = get_db()
    if db.get(User, user_id) is None:
        abort(404)
    try:
        user = accounts.set_extension(db, user_id, request.form.get("extension", "")[:20] or None, actor())
        db.commit()
        flash(_("%(u)s updated.", u=user.username), "success")
    except accounts.AccountError as exc:
        db.rollback()
        flash(str(exc), "error")
    return redirect(url_for("admin.users"), 303)


@bp.route("/audit")
@roles_required(roles.ADMINS)
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first, a page at a time; actions by their label, filtered by action or actor."""
    from ..paging import rows_of  # here, not at the top: the admin pages' imports belong to their own work

    db = get_db()
    query = select(AuditLog).order_by(AuditLog.id.desc())  # newest first; ids are unique, so pages never overlap
    read = page_args()
    action = read.text("action", 80)
    if action:
        query = query.where(AuditLog.action == action)
    actor_name = read.text("actor", 80)
    if actor_name:
        query = query.where(AuditLog.actor_name == actor_name)
    rows, page = rows_of(db, query, read, 100)
    note_ignored(read)
    known = sorted(set(audit_labels.ACTIONS) | set(db.scalars(select(AuditLog.action).distinct())))
    return render_template("admin/audit.html", rows=rows, action=action, actor=actor_name, actions=known, page=page)
