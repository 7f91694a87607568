"""Reports with charts and CSV, and the daily summary as a page."""
from __future__ import annotations

from flask import Flask

from . import knowledge, routes

# Imported for the pages they add to ``routes.bp``; listed so a reader sees them all.
PAGES = (knowledge,)


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
