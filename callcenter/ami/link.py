"""An AMI link on its own thread, for code that is not asyncio (Flask, the dispatcher).

The link reconnects and keeps alive like the bridge's (``AMIConnection``),
never re-sends an unanswered action, and hands every event to the
listeners registered with ``listen``.  ``call`` runs one coroutine on the
link's loop and waits for its result.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..config import AMISettings, PBXSettings
from .actions import Actions
from .connection import AMIConnection

T = TypeVar("T")
Listener = Callable[[dict[str, str]], None]
# Seconds to wait for the AMI link before giving up on an action (nothing sent).
CONNECT_WAIT = 15.0


class LinkDown(ConnectionError):
    """The AMI link is not up: nothing was sent."""


class ThreadedLink:
    def __init__(self, pbx: PBXSettings, ami: AMISettings, name: str) -> None:
        self.pbx = pbx
        self.loop = asyncio.new_event_loop()
        self._listeners: list[Listener] = []
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(ami,), name=f"{name}-{pbx.name}", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def _main(self, ami: AMISettings) -> None:
        asyncio.set_event_loop(self.loop)
        self._stop = asyncio.Event()
        self.conn = AMIConnection(self.pbx, ami, on_event=self._on_event)
        self.actions = Actions(self.conn)
        self._started.set()
        try:
            self.loop.run_until_complete(self.conn.run(self._stop))
        finally:
            self.loop.close()

    def listen(self, listener: Listener) -> None:
        """Called on the link's thread for every event; keep it short."""
        self._listeners.append(listener)

    def _on_event(self, event: dict[str, str]) -> None:
        for listener in self._listeners:
            listener(event)

    async def wait_ready(self, seconds: float = CONNECT_WAIT) -> None:
        try:
            await asyncio.wait_for(self.conn.ready.wait(), seconds)
        except TimeoutError:
            raise LinkDown(f"the AMI link to {self.pbx.name} is down; nothing was sent") from None

    def call(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``work`` on the link's loop; its exception is raised here."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def connected(self) -> bool:
        return self._thread.is_alive() and self.conn.ready.is_set()

    def close(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)
