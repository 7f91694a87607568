"""User accounts: creation, sign-in, passwords, the first admin; each step audited (API tokens: ``tokens``)."""
from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import AgentProfile, Role, User, utcnow
from . import audit
from .audit import Actor

SETUP = Actor.system("setup")
WRONG_PASSWORD = "the current password is not right"

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
    actor: Actor = SETUP,
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
    audit.record(session, "user_created", actor, object_type="user", object_id=user.id, role=user.role.value)
    return user, generated


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(validate_password(password), method=PASSWORD_METHOD)
    user.must_change_password = False


def check_password(user: User, password: str) -> bool:
    return bool(user.is_active and check_password_hash(user.password_hash, password))


def sign_in(session: Session, username: str, password: str, ip: str | None) -> User | None:
    """The user whose name and password these are (None: wrong or inactive); both outcomes audited."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not check_password(user, password):
        audit.record(session, "sign_in", Actor(name=username[:80] or "?", ip=ip, via="web"), outcome="failed")
        return None
    user.last_login_at = utcnow()
    audit.record(session, "sign_in", Actor.of(user, ip=ip, via="web"))
    return user


def sign_out(session: Session, actor: Actor) -> None:
    audit.record(session, "sign_out", actor)


def change_password(session: Session, user_id: int, current: str, new: str, actor: Actor) -> None:
    """A user changes their own password; AccountError if the current one is wrong or the new one weak."""
    user = session.get(User, user_id)
    if user is None or not check_password(user, current):
        raise AccountError(WRONG_PASSWORD)
    set_password(user, new)
    audit.record(session, "password_changed", actor, object_type="user", object_id=user.id)


def set_language(session: Session, user_id: int, language: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.language = language


def ensure_first_admin(session: Session, username: str = "admin") -> str | None:
    """Create the first admin with a one-time password, if nobody is admin yet."""
    admins = session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN))
    if admins:
        return None
    _, password = create_user(session, username, Role.ADMIN, actor=SETUP)
    return password


def display_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """User id -> the name to show (display name, else username)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.display_name or u.username for u in session.scalars(select(User).where(User.id.in_(wanted)))}
