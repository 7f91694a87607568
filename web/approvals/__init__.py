"""The approvals queue: a rule's actions waiting for a supervisor's (or an admin's, or QA's) decision."""
from __future__ import annotations

from flask import Flask

from . import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    app.add_template_global(routes.pending_count, "pending_approvals")
