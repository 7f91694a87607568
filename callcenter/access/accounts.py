"""User accounts: creation, sign-in, passwords, the first admin; each step audited (API tokens: ``tokens``)."""
from __future__ import annotations

import datetime as dt
import functools
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..i18n import N_, Refusal
from ..models import AgentProfile, Role, User, utcnow
from ..pbx.values import UnsafeValue, checked
from . import audit, sessions, signin_limits
from .audit import Actor
from .signin_limits import SignInLimits

SETUP = Actor.system("setup")
WRONG_PASSWORD = N_("Your current password is not right.")
LAST_ADMIN = N_("The last admin must stay an active admin.")

MIN_PASSWORD = 10
# werkzeug's scrypt default; tests swap in a cheap method to stay fast.
PASSWORD_METHOD = "scrypt"
# A desk phone: an Asterisk interface the queues ring (PJSIP/agent1001); PJSIP/webrtc<n> are the softphones'.
_SIP_INTERFACE = re.compile(r"^(PJSIP|SIP|IAX2|DAHDI)/[A-Za-z0-9][A-Za-z0-9_.+\-]{0,60}$")
_SOFTPHONE = re.compile(r"^PJSIP/webrtc[0-9]+$", re.IGNORECASE)


class AccountError(Refusal):
    """An account change the service refuses (said in the reader's language by the web)."""


class SignInThrottled(AccountError):
    """Too many failed sign-ins lately from this address (for this user, or for any)."""


def validate_username(username: str) -> str:
    name = username.strip()
    if not (2 <= len(name) <= 80) or not all(c.isalnum() or c in "._-@" for c in name):
        raise AccountError(N_("A username is 2-80 letters, digits or . _ - @."), field="username", code="bad_username")
    return name


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(N_("A password has at least %(n)s characters."), field="password", code="too_short",
                           n=MIN_PASSWORD)
    if len(password) > 256:
        raise AccountError(N_("A password has at most %(n)s characters."), field="password", code="too_long", n=256)
    return password


def validate_extension(session: Session, extension: str | None, user_id: int | None = None) -> str | None:
    """A softphone extension: 2-8 digits, nobody else's (one browser endpoint is one agent's)."""
    value = (extension or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and 2 <= len(value) <= 8):
        raise AccountError(N_("An extension is 2-8 digits."), field="extension", code="bad_extension")
    holder = session.scalar(select(AgentProfile.user_id).where(AgentProfile.extension == value))
    if holder is not None and holder != user_id:
        raise AccountError(N_("Extension %(extension)s belongs to another user."), field="extension", code="taken",
                           extension=value)
    return value


def validate_sip_interface(session: Session, interface: str | None, user_id: int | None = None) -> str | None:
    """A desk phone: Tech/resource as Asterisk names it (PJSIP/agent1001), safe for AMI, nobody else's."""
    value = (interface or "").strip()
    if not value:
        return None
    try:
        checked(value, "desk phone", 80)
    except UnsafeValue:
        raise AccountError(N_("A desk phone may not hold quotes, control characters or dialplan expressions."),
                           field="sip_interface", code="unsafe_interface") from None
    if not _SIP_INTERFACE.match(value):
        raise AccountError(N_("A desk phone is an Asterisk interface such as PJSIP/agent1001."),
                           field="sip_interface", code="bad_interface")
    if _SOFTPHONE.match(value):
        raise AccountError(N_("PJSIP/webrtc… is the browser softphone: set a softphone extension instead."),
                           field="sip_interface", code="softphone_interface")
    holder = session.scalar(select(AgentProfile.user_id).where(AgentProfile.sip_interface == value))
    if holder is not None and holder != user_id:
        raise AccountError(N_("The desk phone %(phone)s belongs to another user."), field="sip_interface",
                           code="taken", phone=value)
    return value


def create_user(
    session: Session,
    username: str,
    role: Role | str,
    password: str | None = None,
    *,
    display_name: str = "",
    sip_interface: str | None = None,
    extension: str | None = None,
    must_change_password: bool = False,
    actor: Actor = SETUP,
) -> tuple[User, str | None]:
    """Create a user; returns (user, generated password or None)."""
    name = validate_username(username)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise AccountError(N_("The user %(name)s already exists."), field="username", code="taken", name=name)
    role = _role(role)
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
    extension = validate_extension(session, extension)
    sip_interface = validate_sip_interface(session, sip_interface)
    session.add(user)
    if user.role is Role.AGENT or sip_interface or extension:
        user.agent = AgentProfile(sip_interface=sip_interface, extension=extension)
    session.flush()
    audit.record(session, "user_created", actor, object_type="user", object_id=user.id, role=user.role.value)
    return user, generated


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(validate_password(password), method=PASSWORD_METHOD)
    user.must_change_password = False


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is this active user's; always one hash check, so a missing user takes as long."""
    # The dummy follows the method in force now, so its cost matches a real user's hash.
    hashed = user.password_hash if user is not None else _dummy_hash(PASSWORD_METHOD)
    matches = check_password_hash(hashed, password)
    return bool(user is not None and user.is_active and matches)


def sign_in(session: Session, username: str, password: str, ip: str | None,
            limits: SignInLimits | None = None, now: dt.datetime | None = None) -> User | None:
    """The user whose name and password these are (None: wrong or inactive); every outcome audited.

    SignInThrottled when ``limits`` are exceeded for this address (the password is then not checked).
    """
    now = now or utcnow()
    who = Actor(name=username[:80] or "?", ip=ip, via="web")
    if limits is not None and signin_limits.refused(session, limits, ip, username, now):
        audit.record(session, "sign_in", who, outcome="throttled")
        raise SignInThrottled(N_("Too many failed sign-ins from your address. Please wait a few minutes and try "
                                 "again."), code="throttled")
    user = session.scalar(select(User).where(User.username == username.strip()))
    if not check_password(user, password) or user is None:
        if limits is not None:
            signin_limits.failed(session, limits, ip, username, now)
        audit.record(session, "sign_in", who, outcome="failed")
        return None
    signin_limits.succeeded(session, ip, username)
    user.last_login_at = now
    audit.record(session, "sign_in", Actor.of(user, ip=ip, via="web"))
    return user


def sign_out(session: Session, actor: Actor) -> None:
    """Sign out everywhere: every session of this user ends, copied cookies included."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is not None:
        sessions.end_all(user)
    audit.record(session, "sign_out", actor)


def change_password(session: Session, user_id: int, current: str, new: str, actor: Actor) -> User:
    """A user changes their own password; AccountError if the current one is wrong or the new one weak.

    Every session of the user ends; the caller starts a new one for the browser that asked.
    """
    user = session.get(User, user_id)
    if user is None or not check_password(user, current):
        raise AccountError(WRONG_PASSWORD, field="current", code="wrong_password")
    set_password(user, new)
    sessions.end_all(user)
    audit.record(session, "password_changed", actor, object_type="user", object_id=user.id)
    return user


def get_user(session: Session, user_id: int) -> User:
    """The user, or AccountError naming the id."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(N_("There is no user %(id)s."), code="not_found", id=user_id)
    return user


def keeps_an_admin(session: Session, user: User) -> bool:
    """Whether another active admin would remain without ``user``."""
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.is_active, User.id != user.id))
    return bool(others)


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AccountError(N_("A role is one of agent, supervisor, qa, admin."), field="role",
                           code="bad_role") from None


def change_role(session: Session, user_id: int, role: Role | str, actor: Actor) -> User:
    """Give a user another role; their sessions end, so the new role applies from their next sign-in."""
    user, new = get_user(session, user_id), _role(role)
    if user.role is new:
        return user
    if user.role is Role.ADMIN and not keeps_an_admin(session, user):
        raise AccountError(LAST_ADMIN, field="role", code="last_admin")
    old, user.role = user.role, new
    if new is Role.AGENT and user.agent is None:
        user.agent = AgentProfile()
    sessions.end_all(user)
    audit.record(session, "user_role_changed", actor, object_type="user", object_id=user.id,
                 old=old.value, new=new.value)
    return user


def set_active(session: Session, user_id: int, active: bool, actor: Actor) -> User:
    """Deactivate (every session ends, sign-in refused) or reactivate a user."""
    user = get_user(session, user_id)
    if user.is_active is active:
        return user
    if not active and user.role is Role.ADMIN and not keeps_an_admin(session, user):
        raise AccountError(LAST_ADMIN, field="active", code="last_admin")
    user.is_active = active
    sessions.end_all(user)
    audit.record(session, "user_reactivated" if active else "user_deactivated", actor,
                 object_type="user", object_id=user.id)
    return user


def set_extension(session: Session, user_id: int, extension: str | None, actor: Actor) -> User:
    """Give a user a softphone extension (their browser phone: webrtc<extension>), or take it away."""
    user = get_user(session, user_id)
    value = validate_extension(session, extension, user.id)
    old = user.agent.extension if user.agent is not None else None
    if old == value:
        return user
    if user.agent is None:
        user.agent = AgentProfile()
    user.agent.extension = value
    audit.record(session, "user_extension_changed", actor, object_type="user", object_id=user.id,
                 old=old, new=value)
    return user


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
