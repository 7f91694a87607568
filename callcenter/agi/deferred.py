"""Writes a caller need not wait for, done after the AGI connection closed.

lookup and menu only read while the caller listens; storing what they learnt
happens here, on a few threads of its own (one on SQLite, which has one
writer anyway), so neither the caller nor a session slot waits on the
database.  Whatever is queued when a writer is free goes into one
transaction (a savepoint per call, so one bad write spoils nothing else):
at 200 calls in the IVR that is a handful of commits a second instead of
hundreds, and less time holding the GIL the callers' threads need.  A
failed commit (database restarting) is retried; ``close`` finishes every
queued write, so nothing is dropped on stop.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from .request import Request, sqlite_turn

log = logging.getLogger(__name__)
BATCH = 64
# A database restart or fail-over takes a minute or two; the writes wait
# that long (with a growing pause, at most 5 s) rather than be dropped.
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
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.put(None)  # the stop marker is for every writer
                return
            batch = [first]
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # the stop marker is for every writer
                    break
                batch.append(more)
            try:
                self._write(batch)
            finally:
                with self._lock:
                    self._pending -= len(batch)

    def _write(self, batch: list[Request]) -> None:
        started, attempt = time.monotonic(), 0
        while True:
            try:
                with self.session_factory() as db, sqlite_turn(db), db.begin():
                    for request in batch:
                        self._one(db, request)
                return
            except DBAPIError as exc:
                attempt += 1
                if time.monotonic() - started > GIVE_UP_AFTER:
                    log.error("gave up storing %d IVR results after %d attempts (the AMI bridge still "
                              "records these calls): %s", len(batch), attempt, exc)
                    return
                log.warning("storing %d IVR results failed (attempt %d), retrying: %s", len(batch), attempt,
                            str(exc).splitlines()[0])
                time.sleep(min(5.0, 0.2 * 2 ** min(attempt, 5)))

    @staticmethod
    def _one(db: Session, request: Request) -> None:
        for work in request.later:
            try:
                with db.begin_nested():
                    work(db)
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise  # the database went away: retry the whole batch
                log.exception("%s: storing what the caller did failed", request.name)
            except Exception:
                log.exception("%s: storing what the caller did failed", request.name)

    def close(self) -> None:
        self._queue.put(None)
        for thread in self._threads:
            thread.join()
