"""The Flask web UI and API: an app factory with blueprints (flaskr style)."""
from __future__ import annotations

import secrets
from pathlib import Path
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

    from . import auth, main
    from .auth import access as _access  # noqa: F401  (user loader)
    from .auth import routes as _auth_routes  # noqa: F401  (registers views)
    from .main import routes as _main_routes  # noqa: F401

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        from flask_babel import get_locale

        from .labels import ROLES

        return {"get_locale": get_locale, "role_label": lambda r: ROLES.get(r, r)}

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
