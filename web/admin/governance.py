"""Data governance pages: customer erasure and retention (admin acts, supervisors may look).

An erasure is confirmed by typing the customer's id, so a slip of the mouse
on the wrong row cannot erase anyone; the preview is the real erasure run
in a transaction that is rolled back, so it shows exactly what will go.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from callcenter import audit, erasure, retention
from callcenter.models import AuditLog, Role

from ..auth.access import roles_required
from ..db import get_db, release_db
from . import bp


def _settings():  # type: ignore[no-untyped-def]
    return current_app.extensions["container"].settings


def _factory():  # type: ignore[no-untyped-def]
    return current_app.extensions["container"].session_factory


@bp.route("/erasure")
@roles_required(Role.ADMIN, Role.SUPERVISOR)
def erasure_search():  # type: ignore[no-untyped-def]
    q = request.args.get("q", "").strip()[:200]
    found = erasure.find(get_db(), q, _settings().phone.default_region) if q else []
    return render_template("admin/erasure.html", q=q, found=found)


def _preview_page(customer_id: int, status: int = 200, error: str | None = None, reason: str = ""):  # type: ignore[no-untyped-def]
    found = erasure.get(get_db(), customer_id)
    if found is None:
        abort(404)
    release_db()  # the preview is a transaction of its own (SQLite: one writer at a time)
    preview = erasure.preview(_factory(), _settings(), customer_id)
    return render_template("admin/erasure_preview.html", customer=found, preview=preview, error=error,
                           reason=reason), status


@bp.route("/erasure/<int:customer_id>")
@roles_required(Role.ADMIN, Role.SUPERVISOR)
def erasure_preview(customer_id: int):  # type: ignore[no-untyped-def]
    return _preview_page(customer_id)


@bp.route("/erasure/<int:customer_id>", methods=["POST"])
@roles_required(Role.ADMIN)
def erasure_confirm(customer_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    if erasure.get(db, customer_id) is None:
        abort(404)
    reason = request.form.get("reason", "").strip()[:200]
    typed = request.form.get("confirm_id", "").strip()
    if typed != str(customer_id):
        audit.record(db, "customer_erasure_refused", actor=current_user, object_type="customer",
                     object_id=customer_id, ip=request.remote_addr, outcome="refused", why="id not confirmed")
        db.commit()
        return _preview_page(customer_id, 400, _("Type the customer's id (%(id)s) to confirm.", id=customer_id),
                             reason)
    if not reason:
        return _preview_page(customer_id, 400, _("Say why (the request's reference) for the audit log."))
    release_db()  # erasure runs in its own transaction
    done = erasure.erase(_factory(), _settings(), customer_id, reason=reason, actor_id=current_user.id)
    return render_template("admin/erasure_done.html", customer_id=customer_id, done=done)


@bp.route("/retention")
@roles_required(Role.ADMIN, Role.SUPERVISOR)
def retention_page():  # type: ignore[no-untyped-def]
    db = get_db()
    settings = _settings()
    purges = db.scalars(select(AuditLog).where(AuditLog.action.in_(("retention_purge", "retention_purge_requested")))
                        .order_by(AuditLog.id.desc()).limit(20)).all()
    return render_template("admin/retention.html", policies=retention.policies(db, settings),
                           runs=retention.recent_runs(db), audits=purges, purge_at=settings.retention.purge_at,
                           timezone=settings.timezone)


@bp.route("/retention/purge", methods=["POST"])
@roles_required(Role.ADMIN)
def retention_purge():  # type: ignore[no-untyped-def]
    db = get_db()
    audit.record(db, "retention_purge_requested", actor=current_user, object_type="retention",
                 ip=request.remote_addr)
    db.commit()
    release_db()
    done = retention.run_purge(_factory(), _settings(), key=None, actor_name=current_user.username)
    if done is None:
        flash(_("A purge was started a moment ago; nothing more to do."), "error")
    elif not done.total.any():
        flash(_("Purge done: nothing was older than its retention policy."), "success")
    else:
        flash(_("Purge done: %(r)s recordings, %(t)s transcripts and %(c)s call records removed.",
                r=done.total.recordings, t=done.total.transcripts, c=done.total.calls), "success")
    return redirect(url_for("admin.retention_page"), 303)
