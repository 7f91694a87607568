"""Queues Asterisk already has become rows by themselves, so calls carry a queue id from the start.

Asterisk's own queues (``queues.conf``, written by hand) are found three
ways: the AMI bridge's resync after every (re)connect lists them
(``QueueStatus`` answers a ``QueueParams`` per queue), the bridge's writer
meets a queue name it has no row for on a call, and an admin asks
(``callcenter queue sync``, the button on the queues page).  Each becomes an
unmanaged row (``managed = False``: its definition stays in queues.conf);
a row that exists is left alone, whoever created it first.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from .. import db
from ..access import audit
from ..access.audit import Actor
from ..models import Queue, utcnow
from ..models.base import insert_defaults
from .fields import NAME, RESERVED_NAMES

BRIDGE = Actor.system("ami-bridge")
QUEUES = cast(Table, Queue.__table__)


def valid(name: str) -> bool:
    """A name we can keep a queue under (a queues.conf section we can also write)."""
    return bool(NAME.match(name)) and name not in RESERVED_NAMES


def ensure(session: Session, names: Iterable[str], actor: Actor = BRIDGE) -> list[str]:
    """Rows for the queues named that have none yet; returns the names added (audited each)."""
    wanted = sorted({n for n in names if n and valid(n)})
    if not wanted:
        return []
    known = set(session.scalars(select(Queue.name).where(Queue.name.in_(wanted))))
    added = []
    for name in (n for n in wanted if n not in known):
        row = {**insert_defaults(QUEUES), "name": name, "display_name": name.replace("_", " ").title(),
               "managed": False, "is_active": True, "created_at": utcnow()}
        new_id = session.scalar(db.insert(session, Queue).values(**row)
                                .on_conflict_do_nothing(index_elements=["name"]).returning(Queue.id))
        if new_id is not None:  # someone else may have added it meanwhile
            audit.record(session, "queue_discovered", actor, object_type="queue", object_id=new_id, queue=name)
            added.append(name)
    return added


def names_in(reply: Any) -> list[str]:
    """Queue names in a ``QueueStatus`` (QueueParams) or ``QueueSummary`` reply."""
    messages = reply if isinstance(reply, list) else [reply]
    return [m["Queue"] for m in messages if m.get("Event") in ("QueueParams", "QueueSummary") and m.get("Queue")]
