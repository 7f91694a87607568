"""The Flask web UI and API: an app factory with blueprints (flaskr style)."""
from __future__ import annotations

import secrets
from pathlib import Path
from zoneinfo import ZoneInfo
from typing import Any

from flask import Flask, g, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")


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
    from flask import current_app

    langs = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in langs:
        return chosen
    if current_user.is_authenticated and current_user.language in langs:
        return current_user.language
    return request.accept_languages.best_match(langs) or current_app.config["DEFAULT_LANGUAGE"]


def _load_forms(container: Any) -> None:
    """Make sure the shipped intake forms exist as versions (idempotent)."""
    from sqlalchemy.exc import IntegrityError

    from callcenter.db import transaction
    from callcenter.forms import catalog

    try:
        with transaction(container.session_factory) as session:
            catalog.sync_files(session)
    except IntegrityError:
        pass  # another web process stored the same version a moment earlier


def create_app(container: Any = None, test_config: dict[str, Any] | None = None) -> Flask:
    from callcenter.config import load_settings
    from callcenter.wiring import build

    container = container or build(load_settings())
    settings = container.settings
    app = Flask(__name__, instance_path=str(settings.instance_dir.resolve()))
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
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    from . import admin, api, auth, desk, main, qa, recordings, reports, review, tickets, wallboard
    from .admin import routes as _admin_routes  # noqa: F401  (each registers its views)
    from .admin import governance as _admin_governance  # noqa: F401  (erasure, retention)
    from .reports import daily as _report_daily  # noqa: F401
    from .api import routes as _api_routes  # noqa: F401
    from .auth import access as _access  # noqa: F401  (user loader)
    from .auth import routes as _auth_routes  # noqa: F401
    from .desk import routes as _desk_routes  # noqa: F401
    from .main import routes as _main_routes  # noqa: F401
    from .recordings import routes as _recording_routes  # noqa: F401
    from .reports import routes as _report_routes  # noqa: F401
    from .review import routes as _review_routes  # noqa: F401
    from .tickets import routes as _ticket_routes  # noqa: F401
    from .wallboard import routes as _wallboard_routes  # noqa: F401
    from .qa import routes as _qa_routes  # noqa: F401  (+ its API in web/api/qa.py)
    from .api import qa as _qa_api  # noqa: F401

    for blueprint in (auth.bp, main.bp, desk.bp, tickets.bp, review.bp, reports.bp, wallboard.bp, recordings.bp,
                      admin.bp, api.bp, qa.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, not cookies

    from .pops import PopHub

    hub = PopHub(container.bus, container.session_factory, settings.phone.default_region)
    hub.start()
    app.extensions["pops"] = hub
    from .wallboard.state import Wallboard

    app.extensions["wallboard"] = Wallboard(container.bus, container.session_factory, settings.timezone)
    _load_forms(container)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        from flask_babel import get_locale

        from . import labels

        return {
            "get_locale": get_locale,
            "role_label": lambda r: labels.ROLES.get(r, r),
            "status_label": lambda s: labels.STATUSES.get(s, s),
            "priority_label": lambda p: labels.PRIORITIES.get(p, p),
            "timeline_label": lambda t: labels.TIMELINE.get(t, t),
            "disposition_label": lambda d: labels.DISPOSITIONS.get(d, d or "—"),
            "answer": labels.answer,
            "answer_choice": labels.choice,
            "change_value": labels.change_value,
        }

    zone = ZoneInfo(settings.timezone)

    @app.template_filter("localtime")
    def _localtime(value: Any) -> str:
        return "—" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("phone")
    def _phone(value: Any) -> str:
        from callcenter.phone import display

        return "—" if not value else display(value)

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.after_request
    def _security_headers(resp: Any) -> Any:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'"
        )
        return resp

    return app
