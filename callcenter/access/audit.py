"""The audit log: who signed in, heard, changed or was refused what.

Services write these rows in the same transaction as the change itself,
so a change and its audit row commit together or not at all.  ``Actor``
says who acted: a signed-in user (with their address and whether it was
the web or the API), or a named part of the system (``dispatcher``,
``cli:alice``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from ..db import is_postgres, on_commit
from ..models import AuditLog, Role, User, utcnow

SECRET_KEYS = {"password", "secret", "token", "api_token", "csrf_token"}
# session.info keys: the transaction's audit rows, and "hooks set on this session".
_PENDING = "callcenter_audit_pending"


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
           object_id: object = None, outcome: str = "ok", **detail: Any) -> None:
    """Add one audit row to the caller's transaction. Secret values are dropped.

    The rows of a transaction are written together, in one statement, when it
    commits (and forgotten if it rolls back): a dispatcher assigning a
    thousand tickets pays one INSERT for their audit rows, not a thousand.
    """
    if actor.via and "via" not in detail:
        detail["via"] = actor.via
    row = {
        "at": utcnow(),
        "action": action,
        "actor_id": actor.user_id,
        "actor_name": actor.name[:80],
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id)[:80],
        "ip": (actor.ip or None) and actor.ip[:40],
        "outcome": outcome,
        "detail": {k: v for k, v in detail.items() if k not in SECRET_KEYS},
    }
    if not session.in_transaction():
        session.begin()  # the rows belong to a transaction, so a rollback can forget them
    on_commit(session, _PENDING, row, _write, before=True)


_COLUMNS = "at, action, actor_id, actor_name, object_type, object_id, ip, outcome, detail"
# On PostgreSQL the rows go as one JSON array, in order: an executemany is a statement per row there.
_PG_WRITE = text(f"INSERT INTO audit_log ({_COLUMNS}) SELECT {_COLUMNS} FROM "
                 "json_populate_recordset(NULL::audit_log, CAST(:rows AS json)) WITH ORDINALITY AS r "
                 "ORDER BY r.ordinality")


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if is_postgres(session):
        session.execute(_PG_WRITE, {"rows": json.dumps([{**r, "at": r["at"].isoformat()} for r in rows],
                                                       ensure_ascii=False)})
    else:
        session.execute(insert(AuditLog), rows)


def denied(session: Session, actor: Actor, object_type: str, object_id: object,
           action: str = "access_denied", **detail: Any) -> None:
    """Someone asked for what their role or scope does not allow."""
    record(session, action, actor, object_type=object_type, object_id=object_id, outcome="denied",
                  **detail)
