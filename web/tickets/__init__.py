"""Tickets: the list, the call's story and the changes agents and supervisors make."""
from __future__ import annotations

from flask import Flask

from . import bulk, incidents, problems, replies, routes

# Imported for the routes it adds to ``routes.bp``; listed so a reader sees them all.
PAGES = (routes, replies, problems, incidents, bulk)


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
