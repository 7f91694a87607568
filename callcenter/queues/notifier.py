"""The event about queues: one was created, changed or retired (its Asterisk configuration follows)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import QueueDefined
from ..models import Queue


class QueueNotifier(Notifier):
    def defined(self, session: Session, queue: Queue, actor: Actor) -> None:
        self._publish(QueueDefined(queue_id=queue.id, queue=queue.name, actor=actor.name), session)
