"""Idempotency keys: each run of timed work is claimed once, before its side effects.

``claim`` inserts the key with ON CONFLICT DO NOTHING in the caller's
transaction; the state change that goes with it (a callback's
PENDING -> DIALING) commits in the same transaction, so a crash either
leaves both or neither.  A second dispatcher, a restart or a misfired
duplicate finds the key taken and does nothing.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import db
from ..models import JobRun, utcnow

RUNNER = f"{socket.gethostname()}:{os.getpid()}"[:80]


def claim(session: Session, key: str, kind: str, at: dt.datetime | None = None, **detail: Any) -> bool:
    """True if this run is ours to do; False if it was already claimed."""
    stmt = db.insert(session, JobRun).values(key=key, kind=kind, started_at=at or utcnow(), detail=detail,
                                         runner=RUNNER).on_conflict_do_nothing(index_elements=["key"])
    # RETURNING, not rowcount: psycopg reports no rowcount for ON CONFLICT inserts here.
    return session.execute(stmt.returning(JobRun.id)).scalar() is not None


def finish(session: Session, key: str, outcome: str, **detail: Any) -> None:
    """Record how a claimed run ended (outcome: done, failed, skipped ...)."""
    row = session.scalar(select(JobRun).where(JobRun.key == key))
    if row is None:
        return
    session.execute(update(JobRun).where(JobRun.id == row.id).values(
        finished_at=utcnow(), outcome=outcome[:20], detail={**row.detail, **detail}))


def taken(session: Session, key: str) -> bool:
    return session.scalar(select(JobRun.id).where(JobRun.key == key)) is not None


def count_prefix(session: Session, prefix: str) -> int:
    """How many runs share a key prefix (e.g. escalation steps done for a ticket)."""
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(JobRun)
                              .where(JobRun.key.startswith(prefix, autoescape=True))) or 0)


def last_with_prefix(session: Session, prefix: str) -> JobRun | None:
    return session.scalar(select(JobRun).where(JobRun.key.startswith(prefix, autoescape=True))
                          .order_by(JobRun.id.desc()).limit(1))
