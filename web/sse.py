"""Server-sent events: the framing, and a streaming response that holds no database session.

The desk's pops and the wallboard's snapshots both stream this way.  A
stream lives for hours, so the request's session (on SQLite, the write
lock) is released before the first byte.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Response, stream_with_context

from .db import release_db

RETRY_MS = 2000
KEEPALIVE = ": keepalive\n\n"


def message(name: str, data: Any) -> str:
    """One event: ``event: NAME`` and its JSON data (newlines inside JSON are escaped, so one line)."""
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n"


def stream(events: Iterator[str]) -> Response:
    release_db()

    def body() -> Iterator[str]:
        yield f"retry: {RETRY_MS}\n\n"
        yield from events

    return Response(stream_with_context(body()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
