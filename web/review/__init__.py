"""The supervisor's review: the team's calls beside their tickets, and what needs action."""
from __future__ import annotations

from flask import Flask

from . import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
