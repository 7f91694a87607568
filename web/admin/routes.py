"""Administration: the blueprint and the audit log (people: ``users``, ``teams`` ...; intake forms: ``forms``;
API tokens: ``tokens``)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles
from callcenter.models import AuditLog

from .. import audit_labels
from ..auth.access import roles_required
from ..db import get_db
from ..query_args import note_ignored, page_args

bp = Blueprint("admin", __name__, url_prefix="/admin")


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
