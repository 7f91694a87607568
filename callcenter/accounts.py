"""User accounts: creation, passwords, the first admin, API tokens."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .models import AgentProfile, Role, User

MIN_PASSWORD = 10
# werkzeug's scrypt default; tests swap in a cheap method to stay fast.
PASSWORD_METHOD = "scrypt"


class AccountError(ValueError):
    pass


def validate_username(username: str) -> str:
    name = username.strip()
    if not (2 <= len(name) <= 80) or not all(c.isalnum() or c in "._-@" for c in name):
        raise AccountError("username: 2-80 letters, digits or . _ - @")
    return name


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise AccountError("password: at most 256 characters")
    return password


def create_user(
    session: Session,
    username: str,
    role: Role | str,
    password: str | None = None,
    *,
    display_name: str = "",
    sip_interface: str | None = None,
    must_change_password: bool = False,
) -> tuple[User, str | None]:
    """Create a user; returns (user, generated password or None)."""
    name = validate_username(username)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise AccountError(f"user {name!r} already exists")
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
        must_change_password = True
    user = User(
        username=name,
        role=Role(role),
        display_name=display_name or name,
        password_hash=generate_password_hash(validate_password(password), method=PASSWORD_METHOD),
        must_change_password=must_change_password,
    )
    session.add(user)
    if user.role is Role.AGENT or sip_interface:
        user.agent = AgentProfile(sip_interface=sip_interface)
    session.flush()
    return user, generated


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(validate_password(password), method=PASSWORD_METHOD)
    user.must_change_password = False


def check_password(user: User, password: str) -> bool:
    return bool(user.is_active and check_password_hash(user.password_hash, password))


def ensure_first_admin(session: Session, username: str = "admin") -> str | None:
    """Create the first admin with a one-time password, if nobody is admin yet."""
    admins = session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN))
    if admins:
        return None
    _, password = create_user(session, username, Role.ADMIN)
    return password


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User) -> str:
    """A new API token; only its digest is stored, so it is shown once."""
    token = "cc_" + secrets.token_urlsafe(32)
    user.api_token_hash = token_digest(token)
    return token
