"""The public contact form: anyone may write to the centre, no sign-in."""
from __future__ import annotations

from flask import Flask

from . import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
