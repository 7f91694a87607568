"""One database session per request, closed at teardown: a reader's for GET, a writer's otherwise."""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db() -> Session:
    """This request's session; a page that only looks (GET) reads without SQLite's write lock."""
    if "db" not in g:
        container = current_app.extensions["container"]
        reads = has_request_context() and request.method in READ_METHODS
        factory = container.read_session_factory if reads else container.session_factory
        g.db = factory()
    session: Session = g.db
    return session


def release_db() -> None:
    """End this request's session early (long-lived responses such as streams)."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(lambda _exc: release_db())
