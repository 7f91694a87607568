"""Who may see what: the user loader and the role check every view uses."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from flask_login import current_user, login_required

from callcenter import audit
from callcenter.models import Role, User

from .. import login_manager
from ..db import get_db


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the signed-in user in a short session of its own.

    Views open the request's session only when they need it, so a page that
    reads little holds no database lock (SQLite) while it renders.
    """
    if not user_id.isdigit():
        return None
    factory = current_app.extensions["container"].session_factory
    with factory() as session:
        user = session.get(User, int(user_id))
        if user is not None:
            _ = user.agent  # loaded now: the desk reads it after the session is gone
            session.expunge_all()
    return user if user is not None and user.is_active else None


def roles_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Refuse (403) and audit any signed-in user whose role is not listed."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                db = get_db()
                audit.record(db, "access_denied", actor=current_user, object_type="endpoint",
                             object_id=request.endpoint, ip=request.remote_addr, outcome="denied")
                db.commit()
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
