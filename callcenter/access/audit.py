"""The audit log: who signed in, heard, changed or was refused what.

Services write these rows in the same transaction as the change itself,
so a change and its audit row commit together or not at all.  ``Actor``
says who acted: a signed-in user (with their address and whether it was
the web or the API), or a named part of the system (``dispatcher``,
``cli:alice``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditLog, Role, User

SECRET_KEYS = {"password", "secret", "token", "api_token", "csrf_token"}


@dataclass(frozen=True)
class Actor:
    """Who does something, for the audit log, ticket history and events."""

    user: User | None = None
    name: str = "system"
    ip: str | None = None
    via: str | None = None  # "web", "api", "cli", "ivr" ...

    @classmethod
    def of(cls, user: User, *, ip: str | None = None, via: str | None = None) -> Actor:
        return cls(user=user, name=user.username, ip=ip, via=via)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(name=name[:80])

    @property
    def user_id(self) -> int | None:
        return None if self.user is None else self.user.id

    @property
    def role(self) -> Role | None:
        return None if self.user is None else self.user.role


def record(session: Session, action: str, actor: Actor, *, object_type: str | None = None,
           object_id: object = None, outcome: str = "ok", **detail: Any) -> AuditLog:
    """Add one audit row to the caller's transaction. Secret values are dropped."""
    if actor.via and "via" not in detail:
        detail["via"] = actor.via
    entry = AuditLog(
        action=action,
        actor_id=actor.user_id,
        actor_name=actor.name[:80],
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:80],
        ip=(actor.ip or None) and actor.ip[:40],
        outcome=outcome,
        detail={k: v for k, v in detail.items() if k not in SECRET_KEYS},
    )
    session.add(entry)
    return entry


def denied(session: Session, actor: Actor, object_type: str, object_id: object,
           action: str = "access_denied", **detail: Any) -> AuditLog:
    """Someone asked for what their role or scope does not allow."""
    return record(session, action, actor, object_type=object_type, object_id=object_id, outcome="denied",
                  **detail)
