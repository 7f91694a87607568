"""Administration (forms, users and tokens, queues, the audit log) and the data governance pages."""
from __future__ import annotations

from flask import Flask

from . import forms, governance, queues, routes, tokens

# Imported for the pages they declare on ``routes.bp``; listed so a reader sees them all.
PAGES = (forms, queues)


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    app.register_blueprint(governance.bp)
    app.register_blueprint(tokens.bp)
