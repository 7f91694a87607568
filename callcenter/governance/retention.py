"""The retention purge as a recorded run: the daily job, `callcenter retention purge`, the admin button.

Each real run claims a ``JobRun`` (kind ``retention_purge``) in the same
transaction as the purge itself, with what every queue lost in its detail:
the admin's Retention page lists these runs, and the daily job's key
(``purge:<day>``) makes it run once per day however many dispatchers
start.  A dry run purges inside a transaction it rolls back, touching no
file, so its counts are exactly what a real run would remove now.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..access import audit
from ..access.audit import Actor
from ..config import RetentionPolicy, Settings
from ..conversations.attachments import AttachmentStore
from ..db import transaction
from ..dispatch import runs
from ..models import JobRun, Queue, utcnow
from .purge import Removed, purge

KIND = "retention_purge"


@dataclass
class PurgeRun:
    total: Removed
    # Queue name ("" = calls without a queue) -> what it lost; queues that lost nothing are absent.
    queues: dict[str, Removed] = field(default_factory=dict)
    dry_run: bool = False


def _as_dict(removed: Removed) -> dict[str, int]:
    return {"recordings": removed.recordings, "files": removed.files, "transcripts": removed.transcripts,
            "calls": removed.calls, "messages": removed.messages, "attachments": removed.attachments}


def _store(settings: Settings) -> AttachmentStore:
    return AttachmentStore(settings.attachments_dir(), settings.conversations.max_attachment_bytes)


def run_purge(factory: sessionmaker[Session], settings: Settings, *, key: str | None, actor: Actor,
              now: dt.datetime | None = None, dry_run: bool = False,
              progress: Callable[[str | None, Removed], None] | None = None) -> PurgeRun | None:
    """Purge now (None: ``key`` was already claimed, i.e. this run happened before)."""
    now = now or utcnow()
    per_queue: dict[str | None, Removed] = {}

    def heard(name: str | None, part: Removed) -> None:
        if part.any():
            per_queue[name] = part
        if progress is not None:
            progress(name, part)
    if dry_run:
        with factory() as session:
            total = purge(session, settings.retention, settings.recordings_dir(), actor, now,
                          dry_run=True, progress=heard, attachments=_store(settings))
            session.rollback()
    else:
        key = key or f"purge:manual:{now.isoformat()}:{actor.name}"[:160]
        with transaction(factory) as session:
            if not runs.claim(session, key, KIND, now, actor=actor.name):
                return None
            total = purge(session, settings.retention, settings.recordings_dir(), actor, now, progress=heard,
                          attachments=_store(settings))
            runs.finish(session, key, "done", **_as_dict(total),
                        queues={name or "": _as_dict(r) for name, r in per_queue.items()})
    return PurgeRun(total=total, queues={name or "": r for name, r in per_queue.items()}, dry_run=dry_run)


def purge_now(factory: sessionmaker[Session], settings: Settings, actor: Actor) -> PurgeRun | None:
    """Someone asked for a purge (the admin page, the CLI): the request is audited even if it finds nothing."""
    with transaction(factory) as session:
        audit.record(session, "retention_purge_requested", actor, object_type="retention")
    return run_purge(factory, settings, key=None, actor=actor)


def policies(session: Session, settings: Settings) -> list[tuple[str, RetentionPolicy, bool]]:
    """(queue name, policy in force, overridden?) for every known queue, then the default."""
    cfg = settings.retention
    names = list(dict.fromkeys([*session.scalars(select(Queue.name).order_by(Queue.name)), *sorted(cfg.queues)]))
    rows = [(name, cfg.queues.get(name, cfg.default), name in cfg.queues) for name in names]
    return [*rows, ("", cfg.queues.get("", cfg.default), "" in cfg.queues)]


def recent_runs(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    rows = session.scalars(select(JobRun).where(JobRun.kind == KIND).order_by(JobRun.id.desc()).limit(limit))
    return [{"key": r.key, "started_at": r.started_at, "finished_at": r.finished_at, "outcome": r.outcome,
             "actor": r.detail.get("actor", ""), "runner": r.runner,
             **{k: r.detail.get(k, 0) for k in ("recordings", "files", "transcripts", "calls", "messages")},
             "queues": r.detail.get("queues", {})} for r in rows]
