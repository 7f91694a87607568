"""Recurring issues: the last days' tickets grouped by what they say, each a click from a problem ticket."""
from __future__ import annotations

from flask import Flask

from . import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
