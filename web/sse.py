"""Server-sent events: the framing, and a streaming response that holds a slot but no database session.

The desk's pops and the wallboard's snapshots both stream this way.  A
stream lives for hours, so the request's session (on SQLite, the write
lock) is released before the first byte; and it holds one of the server's
threads, so it opens only with a slot from the registry (``streams``): a few
per user (a new one ends the oldest), a bounded number in all (then a 503).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, current_app, jsonify, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.config import WebSettings

from .db import release_db
from .streams import Slot, StreamRegistry, StreamsFull

__all__ = ["KEEPALIVE", "Slot", "busy", "init_app", "message", "registry", "stream"]

RETRY_MS = 2000
KEEPALIVE = ": keepalive\n\n"
# Opens the stream's events once its slot is granted; they should end soon after ``slot.ended``.
Opener = Callable[[Slot], Iterator[str]]


def init_app(app: Flask, web: WebSettings) -> None:
    app.extensions["streams"] = StreamRegistry(web.max_streams_per_user, web.stream_limit(),
                                               web.streams_retry_after)


def registry() -> StreamRegistry:
    found: StreamRegistry = current_app.extensions["streams"]
    return found


def message(name: str, data: Any) -> str:
    """One event: ``event: NAME`` and its JSON data (newlines inside JSON are escaped, so one line)."""
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n"


def busy(retry_after: int) -> ResponseReturnValue:
    """503: every stream slot is taken. JSON for API-ish callers, a short text otherwise."""
    headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
    if request.accept_mimetypes.best_match(["text/plain", "application/json"]) == "application/json":
        return jsonify(error="too_many_streams", message="every live stream slot is taken; try again later",
                       retry_after=retry_after), 503, headers
    text = _("Too many live screens are open on this server. Try again in a minute.")
    return Response(text + "\n", 503, headers, mimetype="text/plain")


def stream(user_id: int, open_events: Opener) -> ResponseReturnValue:
    slots = registry()
    try:
        slot = slots.open(user_id)
    except StreamsFull as exc:
        return busy(exc.retry_after)
    release_db()
    events = open_events(slot)

    def body() -> Iterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n\n"
            for chunk in events:
                if slot.ended:
                    break
                yield chunk
            if slot.reason == "replaced":
                # The page stops reconnecting on this (or it would take the newer stream's slot).
                yield message("replaced", {"reason": "a newer stream of yours opened"})
        finally:
            slots.close(slot)

    resp = Response(stream_with_context(body()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    # Also when the response is closed before its first byte (the generator's finally never runs then).
    resp.call_on_close(lambda: slots.close(slot))
    return resp
