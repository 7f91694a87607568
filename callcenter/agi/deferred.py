"""Writes a caller need not wait for, done after the AGI connection closed.

lookup and menu only read while the caller listens; storing what they learnt
happens here, on a few threads of its own (one on SQLite, which has one
writer anyway), so neither the caller nor a session slot waits on the
database.  ``close`` finishes every queued write: nothing is dropped on stop.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from .request import Request

log = logging.getLogger(__name__)


class DeferredWrites:
    def __init__(self, session_factory: sessionmaker[Session], threads: int) -> None:
        self.session_factory = session_factory
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="agi-write")
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, request: Request) -> None:
        if not request.later:
            return
        with self._lock:
            self._pending += 1
        self._executor.submit(self._run, request)

    def _run(self, request: Request) -> None:
        try:
            with self.session_factory() as db:
                request.db = db  # the request's own session closed with its connection
                for work in request.later:
                    try:
                        work()
                    except Exception:
                        log.exception("%s: storing what the caller did failed", request.name)
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=True)
