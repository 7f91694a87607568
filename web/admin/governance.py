"""Data governance pages: customer erasure and retention (admin acts, supervisors may look).

An erasure is confirmed by typing the customer's id, so a slip of the mouse
on the wrong row cannot erase anyone; the preview is the real erasure run
in a transaction that is rolled back, so it shows exactly what will go.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import roles
from callcenter.customers import lookup
from callcenter.governance import retention
from callcenter.models import AuditLog
from callcenter.wiring import Container

from ..auth.access import actor, roles_required
from ..db import get_db, release_db
from ..query_args import note_ignored, page_args

bp = Blueprint("governance", __name__, url_prefix="/admin")


def _container() -> Container:
    found: Container = current_app.extensions["container"]
    return found


@bp.route("/erasure")
@roles_required(roles.MANAGERS)
def erasure_search() -> ResponseReturnValue:
    read = page_args()
    q = read.text("q", 200)
    note_ignored(read)
    found = lookup.search(get_db(), q, _container().settings.phone.default_region) if q else []
    return render_template("admin/erasure.html", q=q, found=found)


def _preview_page(customer_id: int, status: int = 200, error: str | None = None,
                  reason: str = "") -> ResponseReturnValue:
    found = lookup.get(get_db(), customer_id)
    if found is None:
        abort(404)
    release_db()  # the preview is a transaction of its own (SQLite: one writer at a time)
    preview = _container().erasure.preview(customer_id)
    return render_template("admin/erasure_preview.html", customer=found, preview=preview, error=error,
                           reason=reason), status


@bp.route("/erasure/<int:customer_id>")
@roles_required(roles.MANAGERS)
def erasure_preview(customer_id: int) -> ResponseReturnValue:
    return _preview_page(customer_id)


@bp.route("/erasure/<int:customer_id>", methods=["POST"])
@roles_required(roles.ADMINS)
def erasure_confirm(customer_id: int) -> ResponseReturnValue:
    db = get_db()
    if lookup.get(db, customer_id) is None:
        abort(404)
    reason = request.form.get("reason", "").strip()[:200]
    typed = request.form.get("confirm_id", "").strip()
    if typed != str(customer_id):
        _container().erasure.unconfirmed(db, customer_id, actor())
        db.commit()
        return _preview_page(customer_id, 400, _("Type the customer's id (%(id)s) to confirm.", id=customer_id),
                             reason)
    if not reason:
        return _preview_page(customer_id, 400, _("Say why (the request's reference) for the audit log."))
    release_db()  # erasure runs in its own transaction
    done = _container().erasure.erase(customer_id, reason=reason, actor=actor())
    return render_template("admin/erasure_done.html", customer_id=customer_id, done=done)


@bp.route("/retention")
@roles_required(roles.MANAGERS)
def retention_page() -> ResponseReturnValue:
    db = get_db()
    settings = _container().settings
    purges = db.scalars(select(AuditLog).where(AuditLog.action.in_(("retention_purge", "retention_purge_requested")))
                        .order_by(AuditLog.id.desc()).limit(20)).all()
    return render_template("admin/retention.html", policies=retention.policies(db, settings),
                           runs=retention.recent_runs(db), audits=purges, purge_at=settings.retention.purge_at,
                           timezone=settings.timezone)


@bp.route("/retention/purge", methods=["POST"])
@roles_required(roles.ADMINS)
def retention_purge() -> ResponseReturnValue:
    release_db()
    container = _container()
    done = retention.purge_now(container.session_factory, container.settings, actor())
    if done is None:
        flash(_("A purge was started a moment ago; nothing more to do."), "error")
    elif not done.total.any():
        flash(_("Purge done: nothing was older than its retention policy."), "success")
    else:
        flash(_("Purge done: %(r)s recordings, %(t)s transcripts and %(c)s call records removed.",
                r=done.total.recordings, t=done.total.transcripts, c=done.total.calls), "success")
    return redirect(url_for("governance.retention_page"), 303)
