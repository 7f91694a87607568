"""The AMI bridge's side of presence: queue calls start and end wrap-ups, the tick ends expired ones.

The bridge's event loop only hands facts over (``answered``, ``completed``,
``tick``, ``reconnected``); one thread here does the database work and
acts through the bridge's own AMI link, so a slow database never stalls
AMI reading.  Facts are handled in the order they arrived.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from ..db import transaction
from .service import PresenceError, PresenceService

log = logging.getLogger(__name__)
Job = Callable[[Session], object]


class Keeper:
    def __init__(self, pbx: str, service: PresenceService, session_factory: sessionmaker[Session]) -> None:
        self.pbx, self.service, self.session_factory = pbx, service, session_factory
        self._jobs: queue.Queue[tuple[str, Job] | None] = queue.Queue()
        self._ticking = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"presence-{self.pbx}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout)

    # -- from the event loop (never blocks) ----------------------------------------
    def answered(self, interface: str) -> None:
        self._jobs.put(("answered", lambda s: self.service.call_answered(s, self.pbx, interface)))

    def completed(self, interface: str, linkedid: str) -> None:
        self._jobs.put(("completed", lambda s: self.service.call_completed(s, self.pbx, interface, linkedid)))

    def tick(self) -> None:
        if not self._ticking.is_set():  # one expiry check waiting is enough
            self._ticking.set()
            self._jobs.put(("tick", self._expire))

    def reconnected(self) -> None:
        self._jobs.put(("reapply", lambda s: self.service.reapply(s, self.pbx)))

    # -- the thread ---------------------------------------------------------------------
    def _expire(self, session: Session) -> object:
        self._ticking.clear()
        return self.service.expire_wrapups(session, self.pbx)

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            what, job = item
            try:
                with transaction(self.session_factory) as session:
                    job(session)
            except PresenceError as exc:
                log.warning("%s: presence %s not applied: %s", self.pbx, what, exc)
            except Exception:
                log.exception("%s: presence %s failed", self.pbx, what)
