"""Administration (forms, users and tokens, the audit log) and the data governance pages."""
from __future__ import annotations

from flask import Flask

from . import governance, routes, tokens


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    app.register_blueprint(governance.bp)
    app.register_blueprint(tokens.bp)
