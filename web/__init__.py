"""The Flask web UI and API: an app factory that wires, and blueprints that register themselves (flaskr style)."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request, session
from flask_login import current_user

from callcenter.wiring import Container

from . import admin, api, auth, db, desk, errors, main, qa, recordings, reports, review, templating, tickets, wallboard
from .extensions import babel, csrf, limiter, login_manager

# Each registers its blueprint(s) and whatever it runs beside them (the desk's pop hub ...).
PACKAGES = (auth, main, desk, tickets, review, reports, wallboard, recordings, admin, qa, api)


def _secret_key(instance: Path) -> str:
    """A stable per-installation key, created once with 0600 permissions."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def select_locale() -> str:
    langs: list[str] = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if isinstance(chosen, str) and chosen in langs:
        return chosen
    if current_user.is_authenticated and current_user.language in langs:
        return str(current_user.language)
    return request.accept_languages.best_match(langs) or str(current_app.config["DEFAULT_LANGUAGE"])


def create_app(container: Container, test_config: dict[str, Any] | None = None) -> Flask:
    settings = container.settings
    app = Flask(__name__, instance_path=str(settings.instance_dir.resolve()))
    app.url_map.converters["int"] = errors.IdConverter  # before any route: every <int:id> is bounded
    app.config.update(
        SECRET_KEY=settings.web.secret_key.get_secret_value() or _secret_key(settings.instance_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.web.session_cookie_secure,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        LANGUAGES=settings.web.languages,
        DEFAULT_LANGUAGE=settings.web.default_language,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["container"] = container

    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    db.init_app(app)
    templating.init_app(app, settings.timezone)
    errors.init_app(app)
    for package in PACKAGES:
        package.init_app(app)
    app.after_request(_security_headers)
    return app


def _security_headers(resp: Response) -> Response:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'")
    return resp
