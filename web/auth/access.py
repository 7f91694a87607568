"""Who may see what, in the web UI: the user loader, the role check every view uses, and refusals.

Refusals are audited through ``callcenter.access`` (the view never writes
the audit row itself) and answered 403.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import NoReturn, ParamSpec, TypeVar

from flask import abort, current_app, g, request, session
from flask_login import current_user, login_required, login_user, logout_user

from callcenter.access import audit, sessions
from callcenter.access.audit import Actor
from callcenter.access.sessions import SessionPolicy
from callcenter.access.signin_limits import SignInLimits
from callcenter.models import Role, User, utcnow

from ..db import get_db

P = ParamSpec("P")
R = TypeVar("R")

# Where the session's stamp (generation, started, seen) is kept in the Flask session.
STAMP = "auth"


def load_user(user_id: str) -> User | None:
    """Load the signed-in user in a short session of its own.

    Views open the request's session only when they need it, so a page that
    reads little holds no database lock (SQLite) while it renders.
    """
    if not user_id.isdigit():
        return None
    factory = current_app.extensions["container"].read_session_factory
    with factory() as db:
        user: User | None = db.get(User, int(user_id))
        if user is not None:
            _ = user.agent  # loaded now: the desk reads it after the session is gone
            db.expunge_all()
    if user is None:
        return None
    now = utcnow()
    stored = session.get(STAMP)
    reason = sessions.refusal(stored, user, now, _policy())
    if reason is not None:
        g.session_ended = reason  # worded for the user by auth.routes before the view runs
        return None
    fresher = sessions.touched(stored, now)
    if fresher is not None:
        session[STAMP] = fresher
    return user


def _policy() -> SessionPolicy:
    return SessionPolicy.of(current_app.extensions["container"].settings.web)


def sign_in_limits() -> SignInLimits:
    return SignInLimits.of(current_app.extensions["container"].settings.web)


def begin_session(user: User) -> None:
    """Sign ``user`` in on this browser: a fresh CSRF token and a stamp of the user's current generation."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    login_user(user)
    session[STAMP] = sessions.stamp(user, utcnow())


def end_session() -> None:
    """Forget the signed-in user on this browser (the server has already ended it, or is about to)."""
    logout_user()
    session.pop(STAMP, None)


def user() -> User:
    """The signed-in user (views behind ``roles_required`` always have one)."""
    found: User = current_user._get_current_object()
    return found


def actor() -> Actor:
    """The signed-in user as the actor of what this request changes."""
    return Actor.of(user(), ip=request.remote_addr, via="web")


def refuse(object_type: str, object_id: object, action: str = "access_denied") -> NoReturn:
    """Audit the refusal, commit it, answer 403."""
    db = get_db()
    audit.denied(db, actor(), object_type, object_id, action=action)
    db.commit()
    abort(403)


def signed_in(view: Callable[P, R]) -> Callable[P, R]:
    """flask-login's ``login_required``, typed: anonymous users go to the sign-in page."""
    checked: Callable[P, R] = login_required(view)
    return checked


def roles_required(roles: Iterable[Role]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse (403) and audit any signed-in user whose role is not in ``roles`` (a set of ``access.roles``)."""
    allowed = frozenset(roles)

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user.role not in allowed:
                refuse("endpoint", request.endpoint)
            return view(*args, **kwargs)

        return signed_in(wrapped)

    return decorator
