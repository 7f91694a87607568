from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, text

from callcenter.models import Call, Callback, CallbackStatus, Ticket, TicketStatus

from ..db import get_db
from . import bp


@bp.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    db = get_db()
    open_statuses = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
    counts = {
        "calls": db.scalar(select(func.count()).select_from(Call)) or 0,
        "open_tickets": db.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.status.in_(open_statuses))
        ) or 0,
        "pending_callbacks": db.scalar(
            select(func.count()).select_from(Callback).where(Callback.status == CallbackStatus.PENDING)
        ) or 0,
    }
    return render_template("main/index.html", counts=counts)


@bp.route("/language", methods=["POST"])
def set_language():  # type: ignore[no-untyped-def]
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            db = get_db()
            user = db.merge(current_user)
            user.language = lang
            db.commit()
    target = request.referrer or ""
    host = request.host_url
    return redirect(target if target.startswith(host) else url_for("main.index"))


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """For load balancers and `make run`: the web answers and the database too."""
    get_db().execute(text("SELECT 1"))
    return jsonify(status="ok")
