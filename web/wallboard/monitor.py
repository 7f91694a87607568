"""Supervisor monitoring from the wallboard: listen to an agent's call, then whisper, barge or stop.

Thin: the ``callcenter.callcontrol.monitoring`` service rings the
supervisor's phone, checks the queue's privacy and audits every step.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from callcenter.access import roles, visibility
from callcenter.callcontrol.errors import CallControlError
from callcenter.callcontrol.monitoring import Monitor, Monitoring
from callcenter.inputs import parsers
from callcenter.models import User

from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db
from ..desk.callcontrol import failure

bp = Blueprint("monitor", __name__, url_prefix="/wallboard/monitor")
DONE = {
    "listen": _l("Your phone is ringing: answer it to listen in (the agent and the caller do not hear you)."),
    "whisper": _l("Coaching: only the agent hears you."),
    "barge": _l("Barged in: the agent and the caller both hear you."),
    "stop": _l("Monitoring ended."),
}


def _service() -> Monitor:
    found: Monitor = current_app.extensions["container"].monitor
    return found


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _done(done: Monitoring) -> ResponseReturnValue:
    return jsonify(mode=done.mode, agent_id=done.agent_id, endpoint=done.endpoint, message=str(DONE[done.mode]))


@bp.route("", methods=["POST"])
@roles_required(roles.MANAGERS)
def listen() -> ResponseReturnValue:
    """Listen to an agent's live call on the supervisor's own phone."""
    raw = _json().get("agent_id")
    try:
        agent_id = parsers.ident(str(raw), "agent_id") if raw not in (None, "") else None
    except parsers.InvalidInput:
        agent_id = None
    db = get_db()
    agent = db.get(User, agent_id) if agent_id is not None else None
    if agent is not None and not (agent.team_id is not None and visibility.can_see_team(db, user(), agent.team_id)) \
            and visibility.report_teams(db, user()) is not None:
        refuse("agent", agent_id, action="monitor_refused")  # a supervisor listens to their own teams only
    db.close()
    try:
        if agent_id is None:
            raise CallControlError("bad_request", "which agent?")
        return _done(_service().listen(actor(), agent_id))
    except CallControlError as exc:
        return failure(exc)


@bp.route("/mode", methods=["POST"])
@roles_required(roles.MANAGERS)
def mode() -> ResponseReturnValue:
    """Switch between listen, whisper and barge without ringing the phone again."""
    get_db().close()
    try:
        return _done(_service().switch(actor(), str(_json().get("mode") or "")))
    except CallControlError as exc:
        return failure(exc)


@bp.route("/stop", methods=["POST"])
@roles_required(roles.MANAGERS)
def stop() -> ResponseReturnValue:
    get_db().close()
    try:
        return _done(_service().stop(actor()))
    except CallControlError as exc:
        return failure(exc)
