"""REST API v1 for CRMs: one module per resource, each declaring its endpoints with ``registry.endpoint``."""
from __future__ import annotations

from flask import Flask

from ..extensions import csrf
from . import (
    callbacks,
    calls,
    codes,
    customers,
    knowledge,
    people,
    queues,
    reference,
    replies,
    surveys,
    tickets,
    timeline,
    transcripts,
)
from .registry import bp

# Imported for the endpoints they declare on ``bp``; listed so a reader sees the whole API.
RESOURCES = (calls, tickets, timeline, customers, callbacks, surveys, transcripts, queues, people, codes, replies,
             knowledge)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # the API authenticates with bearer tokens, not cookies
    app.register_blueprint(bp)
    app.register_blueprint(reference.bp)  # the page people read, rendered from the same document
