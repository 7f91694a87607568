"""The QA workspace: search and one call's player with its transcript (``routes``), scorecards,
agents' trends and keyword rules."""
from __future__ import annotations

from flask import Flask

from . import agents, routes, rules, scorecards


def init_app(app: Flask) -> None:
    for module in (routes, scorecards, agents, rules):
        app.register_blueprint(module.bp)
