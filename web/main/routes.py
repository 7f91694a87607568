"""The start page (each role's own: ``homes``), the language switch and the health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text

from callcenter.access import accounts

from ..auth.access import signed_in, user
from ..db import get_db
from . import homes

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def index() -> ResponseReturnValue:
    """The start page: each role's own (``homes``)."""
    return homes.home(user())


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
