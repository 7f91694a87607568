"""One database session per request, closed at teardown."""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session


def get_db() -> Session:
    if "db" not in g:
        g.db = current_app.extensions["container"].session_factory()
    session: Session = g.db
    return session


def release_db() -> None:
    """End this request's session early (long-lived responses such as streams)."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(lambda _exc: release_db())
