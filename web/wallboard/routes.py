"""The live wallboard: pushed by the server every two seconds, readable across the room."""
from __future__ import annotations

import json
import time

from flask import Response, current_app, render_template, stream_with_context

from callcenter.models import Role

from ..auth.access import roles_required
from ..db import release_db
from . import bp

PUSH_SECONDS = 2.0


@bp.route("/")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    return render_template("wallboard/index.html")


@bp.route("/events")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def events():  # type: ignore[no-untyped-def]
    board = current_app.extensions["wallboard"]
    hub = current_app.extensions["pops"]
    release_db()

    def generate():  # type: ignore[no-untyped-def]
        yield "retry: 2000\n\n"
        while not hub.closing:
            yield f"event: snapshot\ndata: {json.dumps(board.snapshot(), default=str)}\n\n"
            time.sleep(PUSH_SECONDS)

    return Response(stream_with_context(generate()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
