"""The start page, the language switch and the health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select, text

from callcenter.access import accounts
from callcenter.models import OPEN_STATUSES, Call, Callback, CallbackStatus, Ticket

from ..auth.access import signed_in
from ..db import get_db

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def index() -> ResponseReturnValue:
    db = get_db()
    counts = {
        "calls": db.scalar(select(func.count()).select_from(Call)) or 0,
        "open_tickets": db.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
        ) or 0,
        "pending_callbacks": db.scalar(
            select(func.count()).select_from(Callback).where(Callback.status == CallbackStatus.PENDING)
        ) or 0,
    }
    return render_template("main/index.html", counts=counts)


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            db = get_db()
            accounts.set_language(db, current_user.id, lang)
            db.commit()
    target = request.referrer or ""
    host = request.host_url
    return redirect(target if target.startswith(host) else url_for("main.index"))


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    """For load balancers and `make run`: the web answers and the database too."""
    get_db().execute(text("SELECT 1"))
    return jsonify(status="ok")
