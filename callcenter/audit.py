"""Append to the audit log: sign-ins, refusals, views of recordings, changes."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .models import AuditLog, User

SECRET_KEYS = {"password", "secret", "token", "api_token", "csrf_token"}


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_name: str | None = None,
    object_type: str | None = None,
    object_id: object = None,
    ip: str | None = None,
    outcome: str = "ok",
    **detail: Any,
) -> AuditLog:
    """Add one audit row to the caller's transaction. Secret values are dropped."""
    entry = AuditLog(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.username if actor is not None else actor_name or "system")[:80],
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:80],
        ip=(ip or None) and ip[:40],
        outcome=outcome,
        detail={k: v for k, v in detail.items() if k not in SECRET_KEYS},
    )
    session.add(entry)
    return entry
