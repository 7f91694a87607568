"""The IVR as a service the runner starts and stops (see wiring.Container.agi)."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..runner import Service
from .server import FastAGIServer, serve_in_thread

if TYPE_CHECKING:
    from ..customers.segments import Segments
    from ..dispatch.notifier import DispatchNotifier
    from ..knowledge.ivr import SelfService
    from ..problems.ivr import IncidentLine

log = logging.getLogger(__name__)


class AGIService(Service):
    name = "agi"

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session],
                 knowledge: SelfService | None = None, incidents: IncidentLine | None = None,
                 segments: Segments | None = None, notifier: DispatchNotifier | None = None) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.knowledge, self.incidents = knowledge, incidents
        self.segments, self.notifier = segments, notifier
        self.server: FastAGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.server = FastAGIServer(self.settings, self.session_factory, knowledge=self.knowledge,
                                    incidents=self.incidents, segments=self.segments, notifier=self.notifier)
        self._thread = serve_in_thread(self.server)
        log.info("FastAGI IVR listening on %s:%d", self.settings.agi.host, self.server.port)

    def stop(self, timeout: float = 10.0) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
