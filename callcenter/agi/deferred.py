"""Writes a caller need not wait for, done after the AGI connection closed.

lookup and menu only read while the caller listens; storing what they learnt
happens here, on a few threads of its own (one on SQLite, which has one
writer anyway), so neither the caller nor a session slot waits on the
database.  Each call's writes are one short transaction, so a bad value
spoils nothing else.  Batching several calls per
transaction was measured and dropped: the writer then holds the GIL for
long stretches and the callers' threads wait for it (per-command p99 at 200
sessions went from 3 ms to 10-16 ms over a bare pyst2 server).  A failed
commit (database restarting) is retried; ``close`` finishes every queued
write, so nothing is dropped on stop.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .. import retry
from .request import Request, sqlite_turn

log = logging.getLogger(__name__)
# A database restart or fail-over takes a minute or two; the writes wait
# that long (with a growing pause, at most 5 s: ``callcenter.retry``) rather than be dropped.
GIVE_UP_AFTER = 600.0


class DeferredWrites:
    def __init__(self, session_factory: sessionmaker[Session], threads: int) -> None:
        self.session_factory = session_factory
        self._queue: queue.Queue[Request | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0
        self._threads = [threading.Thread(target=self._loop, name=f"agi-write-{i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, request: Request) -> None:
        if not request.later:
            return
        with self._lock:
            self._pending += 1
        self._queue.put(request)

    def _loop(self) -> None:
        while (request := self._queue.get()) is not None:
            try:
                self._write(request)
            finally:
                with self._lock:
                    self._pending -= 1
        self._queue.put(None)  # the stop marker is for every writer

    def _write(self, request: Request) -> None:
        started, attempt, backoff = time.monotonic(), 0, retry.Backoff(0.2, 5.0)
        while True:
            try:
                with self.session_factory() as db, sqlite_turn(db), db.begin():
                    for work in request.later:
                        work(db)
                return
            except DBAPIError as exc:
                if not (exc.connection_invalidated or isinstance(exc, OperationalError)):
                    log.exception("%s: storing what the caller did failed", request.name)
                    return  # a bad value, not a database away: retrying would fail again
                attempt += 1
                if time.monotonic() - started > GIVE_UP_AFTER:
                    log.error("%s: gave up storing what the caller did after %d attempts (the AMI bridge "
                              "still records the call): %s", request.name, attempt, exc)
                    return
                log.warning("%s: storing what the caller did failed (attempt %d), retrying: %s", request.name,
                            attempt, str(exc).splitlines()[0])
                time.sleep(backoff.next())
            except Exception:
                log.exception("%s: storing what the caller did failed", request.name)
                return

    def close(self) -> None:
        self._queue.put(None)
        for thread in self._threads:
            thread.join()
