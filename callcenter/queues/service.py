"""Defining queues: create, edit, retire, each checked, audited and announced (QueueDefined).

A queue created here is ``managed``: its section is written into
``queues_callcenter.conf`` for Asterisk (``asterisk.py``) and app_queue is
reloaded when the event arrives at the AMI service.  Queues Asterisk already
had (``discovery.py``) are edited the same way; their definition stays in
queues.conf.  Retiring keeps the row and its history, and the IVR sends no
caller there any more (``agi/handlers/queue.py``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..config import IVRSettings
from ..i18n import N_, Refusal
from ..models import Queue
from . import fields
from .notifier import QueueNotifier


class QueueService:
    def __init__(self, notifier: QueueNotifier, ivr: IVRSettings) -> None:
        self.notifier, self.ivr = notifier, ivr

    def _context(self, session: Session, queue_id: int | None = None) -> fields.Context:
        return fields.Context(session, tuple(self.ivr.languages), tuple(self.ivr.reserved_numbers), queue_id)

    def create(self, session: Session, actor: Actor, name: str, **changes: Any) -> Queue:
        """A new queue Asterisk will learn from the generated configuration."""
        errors: dict[str, Refusal] = {}
        try:
            name = fields.check_name(session, name)
        except Refusal as exc:
            errors["name"] = exc
        try:
            values = fields.check(self._context(session), changes)
        except fields.InvalidQueue as exc:
            errors.update(exc.errors)
        if errors:
            raise fields.InvalidQueue(errors)
        queue = Queue(name=name, managed=True, is_active=True, **values)
        session.add(queue)
        session.flush()
        audit.record(session, "queue_created", actor, object_type="queue", object_id=queue.id, queue=name,
                     **_plain(values))
        self.notifier.defined(session, queue, actor)
        return queue

    def edit(self, session: Session, actor: Actor, name: str, **changes: Any) -> Queue:
        """Change some settings; an unchanged value is not a change (no audit row, no event)."""
        queue = get(session, name, lock=True)
        values = fields.check(self._context(session, queue.id), changes)
        changed = {k: [getattr(queue, k), v] for k, v in values.items() if getattr(queue, k) != v}
        if not changed:
            return queue
        for column, (_, new) in changed.items():
            setattr(queue, column, new)
        session.flush()
        audit.record(session, "queue_changed", actor, object_type="queue", object_id=queue.id, queue=queue.name,
                     changes=changed)
        self.notifier.defined(session, queue, actor)
        return queue

    def retire(self, session: Session, actor: Actor, name: str) -> Queue:
        """No caller is routed here any more; its calls, tickets and figures stay."""
        queue = get(session, name, lock=True)
        if queue.name == self.ivr.default_queue:
            raise Refusal(N_("%(name)s is where the IVR sends callers who choose nothing; it cannot be retired."),
                          field="name", code="default_queue", name=queue.name)
        return self._set_active(session, actor, queue, False)

    def reinstate(self, session: Session, actor: Actor, name: str) -> Queue:
        return self._set_active(session, actor, get(session, name, lock=True), True)

    def _set_active(self, session: Session, actor: Actor, queue: Queue, active: bool) -> Queue:
        if queue.is_active == active:
            return queue
        queue.is_active = active
        session.flush()
        audit.record(session, "queue_reinstated" if active else "queue_retired", actor, object_type="queue",
                     object_id=queue.id, queue=queue.name)
        self.notifier.defined(session, queue, actor)
        return queue


def get(session: Session, name: str, *, lock: bool = False) -> Queue:
    """The queue of that name, or a Refusal the caller shows as "not found"."""
    query = select(Queue).where(Queue.name == name)
    found = session.scalar(query.with_for_update() if lock else query) if fields.NAME.match(name or "") else None
    if found is None:
        raise Refusal(N_("There is no queue %(name)s."), field="name", code="not_found", name=str(name)[:40])
    return found


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the audit log's JSON keeps them."""
    return {k: v for k, v in values.items() if v is not None}
