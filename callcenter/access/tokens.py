"""API tokens: mint, list, revoke, and check one at each request; every step audited.

A token is ``cc_`` + 32 random bytes, shown once; only its SHA-256 is stored.
Refusals are audited too (a mint the actor's role does not allow, a revoked
or expired token, a scope the token lacks): the refusal's row is added to
the session, and the caller commits it even though the action failed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..i18n import N_, Refusal
from ..models import ApiToken, Role, User, utcnow
from . import audit, roles
from . import scopes as scope_rules
from .audit import Actor

PREFIX = "cc_"
SHOWN_PREFIX = 10  # "cc_" + 7 characters: enough to tell tokens apart, far too few to guess one
MAX_DAYS = 3650


class TokenError(Refusal):
    """The request to mint or revoke is not valid (unknown scope, past expiry, no such token)."""


class TokenRefused(TokenError):
    """The actor may not do this; the refusal is in the session's audit rows."""


class TokenInvalid(Exception):
    """An API request's token does not authenticate: ``reason`` is safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def expiry(days: int | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """``days`` from now (None or 0: never)."""
    if not days:
        return None
    if not 0 < days <= MAX_DAYS:
        raise TokenError(N_("A token expires in 1-%(n)s days, or never."), field="days", code="bad_expiry", n=MAX_DAYS)
    return (now or utcnow()) + dt.timedelta(days=days)


def _may_mint_for(actor: Actor, owner: User) -> str | None:
    """Why ``actor`` may not mint ``owner`` a token (None: they may)."""
    minter = actor.user
    if minter is None or minter.id == owner.id:
        return None  # the system (the CLI, setup) or oneself
    if owner.role is Role.ADMIN:
        return N_("An admin's token is minted by that admin, or from the command line.")
    if roles.RANK[owner.role] > roles.RANK[minter.role]:
        return N_("You may not mint a token for a user whose role is above yours.")
    return None


def mint(session: Session, owner: User, actor: Actor, *, scopes: str | Iterable[str] = scope_rules.DEFAULT,
         expires_at: dt.datetime | None = None, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``owner``: (its row, the secret to show once)."""
    why = _may_mint_for(actor, owner)
    if why is not None:
        audit.denied(session, actor, "user", owner.id, action="api_token_refused", owner=owner.username,
                     reason=why)
        raise TokenRefused(why, code="forbidden")
    try:
        granted = scope_rules.parse(scopes)
    except scope_rules.ScopeError as exc:
        raise TokenError(exc.template, field="scopes", code=exc.code, **exc.params) from None
    if expires_at is not None and expires_at <= utcnow():
        raise TokenError(N_("The expiry must be in the future."), field="expires_at", code="past_expiry")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=owner.id, name=name.strip()[:80], token_hash=digest(secret),
                   prefix=secret[:SHOWN_PREFIX], scopes=granted, expires_at=expires_at,
                   created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    on_behalf = actor.user_id != owner.id
    audit.record(session, "api_token_issued", actor, object_type="api_token", object_id=row.id,
                 owner_id=owner.id, owner=owner.username, for_another_user=on_behalf,
                 scopes=scope_rules.describe(granted),
                 expires_at=None if expires_at is None else expires_at.isoformat())
    return row, secret


def revoke(session: Session, token_id: int, actor: Actor) -> ApiToken:
    """Revoke a token (idempotent): its owner, an admin or the system may."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise TokenError(N_("There is no API token %(id)s."), code="not_found", id=token_id)
    if actor.user is not None and actor.user_id != row.user_id and actor.role is not Role.ADMIN:
        audit.denied(session, actor, "api_token", row.id, action="api_token_refused", reason="revoke")
        raise TokenRefused(N_("Only the token's owner or an admin may revoke it."), code="forbidden")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, "api_token_revoked", actor, object_type="api_token", object_id=row.id,
                     owner_id=row.user_id)
    return row


def listed(session: Session, user_id: int | None = None) -> list[ApiToken]:
    """Tokens, newest first (one user's, or everyone's): rows only, never a secret."""
    query = select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.id.desc())
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))


def state(row: ApiToken, now: dt.datetime | None = None) -> str:
    """"active", "revoked" or "expired"."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def authenticate(session: Session, secret: str, ip: str | None = None) -> ApiToken:
    """The live token this secret is, with its active user; TokenInvalid (audited) otherwise."""
    row = session.scalar(select(ApiToken).options(selectinload(ApiToken.user))
                         .where(ApiToken.token_hash == digest(secret.strip())))
    if row is None:
        audit.record(session, "api_token_refused", Actor(name="?", ip=ip, via="api"), outcome="denied",
                     reason="unknown")
        raise TokenInvalid("unknown token")
    reason = state(row)
    if reason == "active" and not row.user.is_active:
        reason = "inactive user"
    if reason != "active":
        audit.record(session, "api_token_refused", Actor.of(row.user, ip=ip, via="api"), outcome="denied",
                     object_type="api_token", object_id=row.id, reason=reason)
        raise TokenInvalid(f"token {reason}")
    return row


def check_scope(session: Session, row: ApiToken, needed: str, actor: Actor, path: str) -> bool:
    """Whether the token carries ``needed``; a refusal is audited."""
    if scope_rules.allows(row.scopes, needed):
        return True
    audit.denied(session, actor, "api", path, action="api_scope_denied", token_id=row.id, needed=needed)
    return False
