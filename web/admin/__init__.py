"""Administration (the centre's people and codes, queues, forms, tokens, the audit log) and the data
governance pages."""
from __future__ import annotations

from flask import Flask

from . import (
    calibration,
    codes,
    forms,
    governance,
    imports,
    index,
    queues,
    routes,
    rules,
    segments,
    teams,
    templates,
    tokens,
    users,
    webhooks,
)

# Imported for the pages they add to ``routes.bp`` (all ``admin.*``); listed so a reader sees them all.
PAGES = (index, users, teams, codes, imports, forms, queues, templates, calibration, webhooks, segments, rules)


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    app.register_blueprint(governance.bp)
    app.register_blueprint(tokens.bp)
