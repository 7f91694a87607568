"""What the IVR asks about queues while a caller waits: one small read each.

``by_did``: the active queue a direct number leads to (lookup sends the
caller there, past the menu).  ``entry``: the settings that decide a
caller's way into a queue (in service? open now? recorded?); a retired
queue hands its callers to the IVR's default queue.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Queue, Skill
from .fields import variants


@dataclass(frozen=True)
class Direct:
    queue_id: int
    name: str
    language: str | None
    skill: str | None


@dataclass(frozen=True)
class Entry:
    queue_id: int
    name: str
    hours: dict[str, str]
    recording: bool


def by_did(session: Session, did: str) -> Direct | None:
    if not did:
        return None
    row = session.execute(select(Queue.id, Queue.name, Queue.language, Skill.name)
                          .outerjoin(Skill, Skill.id == Queue.skill_id)
                          .where(Queue.did.in_(variants(did)), Queue.is_active).limit(1)).first()
    return Direct(*row) if row else None


def entry(session: Session, name: str, default_queue: str) -> Entry | None:
    """The queue's settings, or the default queue's when it is retired; None for a queue we have no row of."""
    columns = (Queue.id, Queue.name, Queue.is_active, Queue.business_hours, Queue.recording)
    rows = {r.name: r for r in session.execute(select(*columns).where(Queue.name.in_({name, default_queue})))}
    row = rows.get(name)
    if row is not None and not row.is_active:
        row = rows.get(default_queue)
    if row is None:
        return None
    return Entry(row.id, row.name, dict(row.business_hours or {}), bool(row.recording))
