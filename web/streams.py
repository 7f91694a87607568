"""Slots for live streams (server-sent events): a few per user, a bounded number in all.

Each open stream holds one of the web server's threads for as long as the
browser keeps it.  A user who opens one stream too many (a fifth tab, a
script) gets the new one, and their oldest stream is told to end: it wakes
at once (``Slot.on_end``), sends ``event: replaced`` and returns, freeing its
thread.  When every slot is taken a new stream is refused (503) instead of
starving the pages of threads.
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable


class StreamsFull(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("every live stream slot is taken")
        self.retry_after = retry_after


class Slot:
    """One open stream: it runs until ``ended`` (replaced, or the server stops)."""

    def __init__(self, number: int, user_id: int) -> None:
        self.number, self.user_id = number, user_id
        self.reason = ""
        self._ended = threading.Event()
        self._wakers: list[Callable[[], None]] = []

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def on_end(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` when the slot ends, so a stream blocked on its queue notices at once."""
        self._wakers.append(wake)
        if self.ended:
            wake()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early if the slot ends; True if it ended."""
        return self._ended.wait(seconds)

    def end(self, reason: str) -> None:
        if self.ended:
            return
        self.reason = reason
        self._ended.set()
        for wake in list(self._wakers):
            wake()


class StreamRegistry:
    """Thread-safe: streams open and close on the web server's threads."""

    def __init__(self, per_user: int, total: int, retry_after: int = 30) -> None:
        self.per_user, self.total, self.retry_after = max(per_user, 1), max(total, 1), retry_after
        self._lock = threading.Lock()
        self._open: dict[int, Slot] = {}  # slot number -> slot, in the order they opened
        self._numbers = itertools.count(1)

    def open(self, user_id: int) -> Slot:
        """A slot for a new stream of ``user_id``; their oldest ends if they hold too many. StreamsFull if none."""
        replaced: list[Slot] = []
        with self._lock:
            mine = [s for s in self._open.values() if s.user_id == user_id]
            while len(mine) >= self.per_user:
                oldest = mine.pop(0)
                del self._open[oldest.number]
                replaced.append(oldest)
            # A replacement frees the user's own slot first, so a user at their cap is never refused.
            if len(self._open) >= self.total:
                raise StreamsFull(self.retry_after)
            slot = Slot(next(self._numbers), user_id)
            self._open[slot.number] = slot
        for old in replaced:
            old.end("replaced")
        return slot

    def close(self, slot: Slot) -> None:
        """The stream finished (or the browser left): its slot is free again. Idempotent."""
        with self._lock:
            self._open.pop(slot.number, None)
        slot.end("closed")

    def close_all(self) -> None:
        """Server shutdown: every stream ends now."""
        with self._lock:
            slots = list(self._open.values())
        for slot in slots:
            slot.end("shutdown")

    def count(self, user_id: int | None = None) -> int:
        with self._lock:
            return sum(1 for s in self._open.values() if user_id is None or s.user_id == user_id)
