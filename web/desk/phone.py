"""The desk's softphone: the signed-in agent's own SIP settings, for JsSIP in the page.

Only ever the caller's own endpoint (the user comes from the session, no id
is taken from the request), never cached, and the password never logged.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from callcenter.access import roles
from callcenter.config import Settings
from callcenter.softphone import credentials

from ..auth.access import roles_required, user
from ..errors import problem

bp = Blueprint("desk_phone", __name__, url_prefix="/desk")


def _settings() -> Settings:
    found: Settings = current_app.extensions["container"].settings
    return found


def available() -> bool:
    """Whether the desk page shows the phone (no secret is read to decide)."""
    try:
        credentials.check(_settings(), user())
    except credentials.NoSoftphone:
        return False
    return True


@bp.route("/phone")
@roles_required(roles.DESK)
def phone() -> ResponseReturnValue:
    try:
        found = credentials.for_user(_settings(), user())
    except credentials.NoSoftphone as exc:
        resp = problem(404, exc.reason, str(exc))
    else:
        resp = jsonify(found.as_json())
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp
