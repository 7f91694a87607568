"""Tickets: the list, the call's story and the changes agents and supervisors make."""
from __future__ import annotations

from flask import Flask

from . import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
