"""The live wallboard: pushed by the server every two seconds, readable across the room."""
from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from callcenter.access import roles

from .. import sse
from ..auth.access import roles_required
from .state import Wallboard

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")
PUSH_SECONDS = 2.0


@bp.route("/")
@roles_required(roles.MANAGERS)
def index() -> ResponseReturnValue:
    return render_template("wallboard/index.html")


@bp.route("/events")
@roles_required(roles.MANAGERS)
def events() -> ResponseReturnValue:
    board: Wallboard = current_app.extensions["wallboard"]
    hub = current_app.extensions["pops"]

    def generate() -> Iterator[str]:
        while not hub.closing:
            yield sse.message("snapshot", board.snapshot())
            time.sleep(PUSH_SECONDS)

    return sse.stream(generate())
