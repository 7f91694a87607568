"""Each bus event's slow part (queries) on a few threads, its fast part (pushing to the desks) on one.

Building a pop takes a few queries, so pops are built on a pool rather
than on the bus's one dispatch thread, where a busy database would queue
every later ring behind it.  What reaches the desks is still applied one
event at a time in arrival order (a call's pop before its withdrawal, and
an agent's pops in ring order).  The slow parts of one call's events also
run in order (``key``): a call's "answered" moves the pop its ring stored,
never a pop not stored yet.
"""
from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from callcenter.bus import Message

log = logging.getLogger(__name__)
# Threads building pops at once; their results still reach the desks in order.
BUILDERS = 4
Prepare = Callable[[Message[Any]], Any]
Apply = Callable[[Message[Any], Any], None]


class Pipeline:
    def __init__(self, builders: int = BUILDERS) -> None:
        self._pool = ThreadPoolExecutor(builders, thread_name_prefix="pop-build")
        self._order: queue.SimpleQueue[tuple[Message[Any], Future[Any], Apply] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # key -> the last slow part submitted for it, while it runs
        self._last: dict[str, Future[Any]] = {}
        self._thread = threading.Thread(target=self._apply_in_order, name="pop-push", daemon=True)
        self._thread.start()

    def submit(self, ev: Message[Any], prepare: Prepare, apply: Apply, key: str = "") -> None:
        """``prepare(ev)`` on the pool, after the earlier events of ``key``; then ``apply(ev, result)`` in order."""
        with self._lock:
            before = self._last.get(key) if key else None
            # The pool starts tasks first in, first out: an earlier task has started (or ended) by the
            # time a later one waits for it, so waiting never starves the pool.
            future = self._pool.submit(_after, before, prepare, ev)
            if key:
                self._last[key] = future
        if key:
            future.add_done_callback(lambda done: self._forget(key, done))
        self._order.put((ev, future, apply))

    def _forget(self, key: str, done: Future[Any]) -> None:
        with self._lock:
            if self._last.get(key) is done:
                del self._last[key]

    def stop(self, timeout: float = 5.0) -> None:
        self._order.put(None)
        self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _apply_in_order(self) -> None:
        while (item := self._order.get()) is not None:
            ev, prepared, apply = item
            try:
                apply(ev, prepared.result())
            except Exception:
                log.exception("screen pop failed on %s", ev.name)


def _after(before: Future[Any] | None, prepare: Prepare, ev: Message[Any]) -> Any:
    if before is not None:
        with contextlib.suppress(Exception):  # its own failure is logged where it is applied
            before.result()
    return prepare(ev)
