"""Signing in and out and choosing a password; ``access`` is the role check every page makes."""
from __future__ import annotations

from flask import Flask

from ..extensions import login_manager
from . import access, routes


def init_app(app: Flask) -> None:
    login_manager.user_loader(access.load_user)
    login_manager.login_view = "auth.login"
    app.register_blueprint(routes.bp)
