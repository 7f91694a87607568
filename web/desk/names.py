"""The centre's names (forms' titles, queues' display names) the desk says its pops with, kept in memory.

A desk stream has no database session of its own, and a pop must not wait
for a query: the first desk to open reads the names, and after that they
are read again in the background once a minute (an admin's rename shows
within a minute).
"""
from __future__ import annotations

import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from .. import labels

# Seconds before the names are read again.
NAMES_TTL = 60.0


class CentreNames:
    def __init__(self, session_factory: sessionmaker[Session], ttl: float = NAMES_TTL) -> None:
        self.session_factory, self.ttl = session_factory, ttl
        self._lock = threading.Lock()
        self._names: labels.Names | None = None
        self._loaded, self._refreshing = -1e9, False

    def get(self) -> labels.Names:
        with self._lock:
            names = self._names
            refresh = names is not None and not self._refreshing and time.monotonic() - self._loaded >= self.ttl
            self._refreshing = self._refreshing or refresh
        if names is None:
            return self._load()
        if refresh:
            threading.Thread(target=self._load, name="pop-names", daemon=True).start()
        return names

    def _load(self) -> labels.Names:
        try:
            with self.session_factory() as session:
                names = labels.load_names(session)
            with self._lock:
                self._names, self._loaded = names, time.monotonic()
            return names
        finally:
            with self._lock:
                self._refreshing = False
