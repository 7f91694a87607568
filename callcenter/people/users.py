"""Users as an admin keeps them: add, edit, reset a password, role, (de)activate; each change audited.

Roles and the active flag are ``access.accounts``' (they end the user's
sessions and protect the last admin); this module adds what an admin
edits besides, and the one-time passwords an admin hands out.
"""
from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..access import accounts, audit, sessions
from ..access.accounts import AccountError, change_role, get_user, set_active
from ..access.audit import Actor
from ..i18n import N_
from ..models import Role, User
from .changes import apply
from .teams import get_team
from .texts import line

__all__ = ["LANGUAGES", "add_user", "by_username", "change_role", "edit_user", "get_user", "listing",
           "reset_password", "set_active", "validate_email", "validate_language"]
# The languages the UI speaks (and agents may speak to callers in): the catalogue has these two.
LANGUAGES = ("en", "zh")
_EMAIL = re.compile(r"^[^@\s\"'<>\\]+@[^@\s\"'<>\\]+\.[^@\s\"'<>\\]+$")


def validate_email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > 200 or not _EMAIL.match(text):
        raise AccountError(N_("An e-mail address looks like name@example.com."), field="email", code="bad_email")
    return text


def validate_language(value: str | None) -> str | None:
    text = (value or "").strip().lower()
    if not text:
        return None
    if text not in LANGUAGES:
        raise AccountError(N_("Choose one of the languages: %(choices)s."), field="language", code="bad_language",
                           choices=", ".join(LANGUAGES))
    return text


def validate_display_name(value: str | None) -> str:
    text = line(value, 200)
    if text is None:
        raise AccountError(N_("A name is at most 200 characters on one line."), field="display_name", code="bad_name")
    return text


def by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise AccountError(N_("There is no user %(name)s."), field="username", code="not_found",
                           name=username.strip()[:80])
    return user


def listing(search: str = "", active: bool | None = None) -> Select[tuple[User]]:
    """Users by username, narrowed to those whose username, name or e-mail contains ``search``."""
    query = select(User).order_by(User.username)
    if search:
        like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.username.ilike(like, escape="\\"), User.display_name.ilike(like, escape="\\"),
                                User.email.ilike(like, escape="\\")))
    if active is not None:
        query = query.where(User.is_active.is_(active))
    return query


def add_user(session: Session, username: str, role: Role | str, actor: Actor, *, display_name: str = "",
             email: str | None = None, language: str | None = None, team_id: int | None = None,
             sip_interface: str | None = None, extension: str | None = None) -> tuple[User, str]:
    """A new user with a one-time password (returned once, changed at first sign-in)."""
    values = {"email": validate_email(email), "language": validate_language(language)}
    name = validate_display_name(display_name)
    team = get_team(session, team_id) if team_id is not None else None
    user, password = accounts.create_user(session, username, role, display_name=name, sip_interface=sip_interface,
                                          extension=extension, actor=actor)
    assert password is not None  # no password given: create_user made one
    user.email, user.language = values["email"], values["language"]
    user.team_id = team.id if team else None
    if any(values.values()) or team:
        audit.record(session, "user_edited", actor, object_type="user", object_id=user.id,
                     changes={k: {"old": None, "new": v} for k, v in
                              {**values, "team": team.name if team else None}.items() if v})
    return user, password


def edit_user(session: Session, user_id: int, actor: Actor, *, display_name: str | None = None,
              email: str | None = None, language: str | None = None) -> User:
    """Change what is given (None: leave it; "" clears e-mail and language); one audit row with old and new."""
    user = get_user(session, user_id)
    wanted: dict[str, Any] = {}
    if display_name is not None:
        wanted["display_name"] = validate_display_name(display_name) or user.username
    if email is not None:
        wanted["email"] = validate_email(email)
    if language is not None:
        wanted["language"] = validate_language(language)
    changes = apply(user, wanted)
    if changes:
        audit.record(session, "user_edited", actor, object_type="user", object_id=user.id, changes=changes)
    return user


def reset_password(session: Session, user_id: int, actor: Actor) -> str:
    """A new one-time password for the user (to hand over once); every session of theirs ends now."""
    user = get_user(session, user_id)
    password = secrets.token_urlsafe(12)
    accounts.set_password(user, password)
    user.must_change_password = True
    sessions.end_all(user)
    audit.record(session, "user_password_reset", actor, object_type="user", object_id=user.id)
    return password
