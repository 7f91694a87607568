"""Background jobs as their requester sees them: a progress bar, then the result or the file."""
from __future__ import annotations

from flask import Flask

from . import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
