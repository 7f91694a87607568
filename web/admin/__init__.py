"""Administration (forms, users and tokens, queues, the audit log) and the data governance pages."""
from __future__ import annotations

from flask import Flask

from . import governance, queues, routes, tokens

# Modules that add their pages to ``routes.bp`` (the admin blueprint) when imported.
PAGES = (queues,)


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    app.register_blueprint(governance.bp)
    app.register_blueprint(tokens.bp)
