"""The customer page: one person's identifiers on every channel, their history, and merging two into one."""
from __future__ import annotations

from flask import Flask

from . import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
