"""The desk's state bar: sign in to queues, available, pause with a reason, Ready after a call (JSON)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from callcenter.access import roles
from callcenter.models import AgentPresence, AgentProfile, PresenceState, utcnow
from callcenter.presence.errors import PresenceError, PresenceUnavailable
from callcenter.presence.service import PresenceService

from ..auth.access import actor, roles_required, user
from ..db import get_db

bp = Blueprint("presence", __name__, url_prefix="/desk/state")
# What the state bar says for each PresenceError code, in the agent's language.
MESSAGES = {
    "bad_phone": _l("Choose the browser phone or the desk phone."),
    "no_browser_phone": _l("You have no browser phone set up."),
    "no_desk_phone": _l("You have no desk phone set up."),
    "no_queues": _l("Choose at least one queue."),
    "not_your_queue": _l("Not one of your queues: %(queues)s"),
    "on_call": _l("You are on a call; you become available after its wrap-up."),
    "unknown_reason": _l("Unknown pause reason: %(reason)s"),
    "not_wrap_up": _l("You are not in wrap-up."),
    "not_agent": _l("Only agents with an agent profile sign in to queues."),
    "signed_out": _l("Sign in to your queues first."),
    "unavailable": _l("The phone system did not take it; nothing was changed. Try again in a moment."),
}


def _service() -> PresenceService:
    found: PresenceService = current_app.extensions["container"].presence
    return found


def _view(row: AgentPresence | None) -> dict[str, Any]:
    """What the state bar shows: the state, since when, the wrap-up left, and what the agent may choose."""
    service, db, language = _service(), get_db(), str(get_locale())
    profile = db.scalar(select(AgentProfile).where(AgentProfile.user_id == user().id))
    now = utcnow()
    state = row.state if row else PresenceState.SIGNED_OUT
    until = row.wrapup_until if row and state is PresenceState.WRAP_UP else None
    return {
        "state": state.value,
        "reason": row.reason if row else None,
        "reason_label": service.reason_label(row.reason, language) if row and row.reason else "",
        "since": row.since.isoformat() if row else None,
        "seconds_in_state": round((now - row.since).total_seconds()) if row else None,
        "phone": row.phone if row else None,
        "queues": list(row.queues or []) if row else [],
        "wrapup_until": until.isoformat() if until else None,
        "wrapup_remaining": max(0, round((until - now).total_seconds())) if until else None,
        "options": {
            "phones": sorted(service.phones(profile)) if profile else [],
            "queues": sorted(service.queues(db, profile)) if profile else [],
            "pause_codes": [{"code": code, "label": service.reason_label(code, language)}
                            for code in service.settings.pause_codes],
        },
    }


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict(flat=False)
    if not isinstance(data, dict):
        abort(400, "expected a JSON object")
    return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)[:40]


def _queues(data: dict[str, Any]) -> list[str]:
    value = data.get("queues", [])
    items = value if isinstance(value, list) else [value]
    return [str(v)[:80] for v in items if str(v)][:50]


def _message(exc: PresenceError) -> str:
    known = MESSAGES.get(exc.code)
    return str(known) % exc.params if known is not None else str(exc)


def _change(work: Any) -> ResponseReturnValue:
    db = get_db()
    try:
        row = work(db)
    except PresenceUnavailable as exc:
        db.rollback()
        return jsonify(error=_message(exc), detail=str(exc)), 503
    except PresenceError as exc:
        db.rollback()
        return jsonify(error=_message(exc), field=exc.field), 422
    db.commit()
    return jsonify(_view(row))


@bp.route("")
@roles_required(roles.DESK)
def show() -> ResponseReturnValue:
    return jsonify(_view(_service().current(get_db(), user().id)))


@bp.route("/sign-in", methods=["POST"])
@roles_required(roles.DESK)
def sign_in() -> ResponseReturnValue:
    data = _body()
    return _change(lambda db: _service().sign_in(db, actor(), _text(data, "phone"), _queues(data)))


@bp.route("/sign-out", methods=["POST"])
@roles_required(roles.DESK)
def sign_out() -> ResponseReturnValue:
    return _change(lambda db: _service().sign_out(db, actor()))


@bp.route("/available", methods=["POST"])
@roles_required(roles.DESK)
def available() -> ResponseReturnValue:
    return _change(lambda db: _service().available(db, actor()))


@bp.route("/pause", methods=["POST"])
@roles_required(roles.DESK)
def pause() -> ResponseReturnValue:
    data = _body()
    return _change(lambda db: _service().pause(db, actor(), _text(data, "reason")))


@bp.route("/ready", methods=["POST"])
@roles_required(roles.DESK)
def ready() -> ResponseReturnValue:
    return _change(lambda db: _service().ready(db, actor()))
