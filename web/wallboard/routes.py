"""The live wallboard: pushed by the server every two seconds, readable across the room."""
from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from callcenter.access import roles

from .. import labels, sse
from ..auth.access import roles_required, user
from .state import Wallboard

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")
PUSH_SECONDS = 2.0


@bp.route("/")
@roles_required(roles.MANAGERS)
def index() -> ResponseReturnValue:
    presence = current_app.extensions["container"].presence
    language = str(get_locale())
    reasons = {code: presence.reason_label(code, language) for code in presence.settings.pause_codes}
    return render_template("wallboard/index.html", reasons=reasons, language=language,
                           phone_states={k: str(v) for k, v in labels.PHONE_STATES.items()},
                           presence_states={k: str(v) for k, v in labels.PRESENCE.items()},
                           channels={k: str(v) for k, v in labels.CHANNELS.items()},
                           timezone=current_app.extensions["container"].settings.timezone)


@bp.route("/events")
@roles_required(roles.MANAGERS)
def events() -> ResponseReturnValue:
    board: Wallboard = current_app.extensions["wallboard"]
    hub = current_app.extensions["pops"]

    def generate(slot: sse.Slot) -> Iterator[str]:
        while not hub.closing:
            yield sse.message("snapshot", board.snapshot())
            if slot.wait(PUSH_SECONDS):  # replaced by a newer stream, or the server stops
                return

    return sse.stream(user().id, generate)
