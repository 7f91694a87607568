"""The Flask web UI and API: an app factory that wires, and blueprints that register themselves (flaskr style)."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from callcenter.wiring import Container

from . import (
    admin,
    answers,
    api,
    approvals,
    auth,
    channels,
    contact,
    customers,
    db,
    desk,
    errors,
    headers,
    jobs,
    knowledge,
    main,
    messages,
    problems,
    qa,
    recordings,
    reports,
    review,
    sse,
    templating,
    tickets,
    wallboard,
)
from .extensions import babel, csrf, limiter, login_manager

# Each registers its blueprint(s) and whatever it runs beside them (the desk's pop hub ...).
PACKAGES = (auth, main, desk, tickets, customers, review, reports, wallboard, recordings, admin, qa, jobs, api,
            contact, channels, knowledge, answers, problems, approvals)


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
        SESSION_COOKIE_SECURE=settings.web.session_cookie_secure or settings.web.https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.web.session_cookie_secure or settings.web.https,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        LANGUAGES=settings.web.languages,
        DEFAULT_LANGUAGE=settings.web.default_language,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["container"] = container

    phone_ws = [settings.softphone.ws_url] if settings.softphone.enabled else []
    headers.init_app(app, https=settings.web.https, connect=phone_ws)  # first: its hook then runs after every other
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    db.init_app(app)
    sse.init_app(app, settings.web)
    templating.init_app(app, settings.timezone)
    messages.init_app(app)
    errors.init_app(app)
    for package in PACKAGES:
        package.init_app(app)
    if settings.web.trusted_proxies:
        # Believe X-Forwarded-For/-Proto only from the proxies we were told about (the rest is forgeable).
        hops = settings.web.trusted_proxies
        # Flask documents wrapping wsgi_app this way; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app

