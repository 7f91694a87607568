"""The AMI bridge's side of presence: queue calls start and end wrap-ups, the tick ends expired ones.

The bridge's event loop only hands facts over (``answered``, ``completed``,
``tick``, ``reconnected``), and so does the bus (``agent_profile_changed``:
an admin changed an agent's queues); one thread here does the database work
and acts through the bridge's own AMI link, so a slow database never stalls
AMI reading.  Facts are handled in the order they arrived.  Whatever is
missed (the link was down, the event lost) the next reconnect re-applies
from the database.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from ..bus import Bus, Message, Unsubscribe
from ..db import transaction
from ..events import AgentProfileChanged
from ..models import utcnow
from .errors import PresenceError
from .service import PresenceService

log = logging.getLogger(__name__)
Job = Callable[[Session], object]
# A wrap-up the desk cut short when the AMI link was down is found within this many seconds.
LOOK_ANYWAY_SECONDS = 15.0


class Keeper:
    def __init__(self, pbx: str, service: PresenceService, session_factory: sessionmaker[Session],
                 bus: Bus | None = None) -> None:
        self.pbx, self.service, self.session_factory, self.bus = pbx, service, session_factory, bus
        self._unsubscribe: Unsubscribe | None = None
        self._jobs: queue.Queue[tuple[str, Job] | None] = queue.Queue()
        self._ticking = threading.Event()
        self._next_due = 0.0  # monotonic time the next wrap-up may run out (0: look at once)
        self._looked_at = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"presence-{self.pbx}", daemon=True)
        self._thread.start()
        if self.bus is not None:
            self._unsubscribe = self.bus.subscribe(AgentProfileChanged, self._profile_changed)

    def stop(self, timeout: float = 10.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout)

    # -- from the event loop (never blocks) ----------------------------------------
    def answered(self, interface: str) -> None:
        self._jobs.put(("answered", lambda s: self.service.call_answered(s, self.pbx, interface)))

    def completed(self, interface: str, linkedid: str) -> None:
        self._jobs.put(("completed", lambda s: self.service.call_completed(s, self.pbx, interface, linkedid)))

    def tick(self) -> None:
        """Every second: end wrap-ups that ran out, looking at the database only when one may have."""
        now = time.monotonic()
        due = now >= self._next_due or now - self._looked_at >= LOOK_ANYWAY_SECONDS
        if due and not self._ticking.is_set():  # one expiry check waiting is enough
            self._ticking.set()
            self._jobs.put(("tick", self._expire))

    def reconnected(self) -> None:
        self._jobs.put(("reapply", lambda s: self.service.reapply(s, self.pbx)))

    # -- from the bus ------------------------------------------------------------------
    def _profile_changed(self, message: Message[AgentProfileChanged]) -> None:
        user_id = message.event.user_id
        self._jobs.put(("profile", lambda s: self.service.follow_profile(s, self.pbx, user_id)))

    # -- the thread ---------------------------------------------------------------------
    def _expire(self, session: Session) -> object:
        self._ticking.clear()
        self._looked_at = time.monotonic()
        return self.service.expire_wrapups(session, self.pbx)

    def _plan(self, session: Session) -> None:
        """When the next wrap-up on this PBX runs out (wrap-ups only start here; the desk ends them early)."""
        until = self.service.next_wrapup_end(session, self.pbx)
        left = (until - utcnow()).total_seconds() if until else LOOK_ANYWAY_SECONDS
        self._next_due = time.monotonic() + max(0.0, left)

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            what, job = item
            try:
                with transaction(self.session_factory) as session:
                    job(session)
                    self._plan(session)
            except PresenceError as exc:
                log.warning("%s: presence %s not applied: %s", self.pbx, what, exc)
            except Exception:
                log.exception("%s: presence %s failed", self.pbx, what)
