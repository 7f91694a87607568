"""The AMI bridge service: one link per PBX, one event loop, one writer.

The event loop runs in the service's own thread and only parses,
correlates and queues; the writer thread does every database write and
publishes the events, so a slow database never stalls AMI reading.  Other
services (the dispatcher's callbacks, the desk) reach the PBXs through
``AMIService.action()`` from any thread.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from ..bus import Bus
from ..config import PBXSettings, Settings
from ..runner import Service
from .accumulator import Accumulator
from .actions import Actions
from .connection import AMIConnection
from .interpreter import Interpreter
from .live import LiveState
from .notifier import Notifier, NullOutbox
from .protocol import AMIEvent
from .record import CallSnapshot
from .resync import resync
from .writer import Writer

if TYPE_CHECKING:
    from ..presence.keeper import Keeper
    from ..presence.service import PresenceService
    from ..queues.publishing import Publisher

log = logging.getLogger(__name__)
# Seconds an action the bridge sends for another thread may take.
ACTION_SECONDS = 10.0


def settle_memory() -> None:
    """Keep full garbage collections off the event loop's back.

    A generation-2 collection walks every tracked object while holding the
    GIL; with everything a process has built by start-up (SQLAlchemy, the
    web app ...) that measured 70-90 ms on our bench machine, against the
    20 ms the loop may stall.  Frozen objects are never walked again, so
    later full collections only see what the bridge itself keeps.
    """
    gc.collect()
    gc.freeze()


class _NoStore:
    def save(self, snapshot: CallSnapshot) -> None:
        pass


class PBXBridge:
    """Everything that follows one PBX."""

    def __init__(self, pbx: PBXSettings, settings: Settings, writer: Writer | None) -> None:
        self.pbx = pbx
        self.writer = writer
        self.keeper: Keeper | None = None
        self.publisher: Publisher | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.accumulator = Accumulator(pbx.name)
        self.live = LiveState(self.accumulator)
        self.notifier = Notifier(writer if writer is not None else NullOutbox())
        self.interpreter = Interpreter(self.accumulator, self.live, self.notifier,
                                       writer if writer is not None else _NoStore(),
                                       settings.phone.default_region, on_originate=self._originated)
        self.connection = AMIConnection(pbx, settings.ami, self._on_event, self._ready)
        self.actions = Actions(self.connection)

    def _on_event(self, event: AMIEvent) -> None:
        self.interpreter.handle(event)
        if self.keeper is not None:  # desk-managed agents: hold out from the answer, wrap up after the call
            name = event.get("Event")
            if name == "AgentConnect":
                self.keeper.answered(event.get("Interface", ""))
            elif name == "AgentComplete":
                self.keeper.completed(event.get("Interface", ""), event.get("Linkedid", ""))

    async def _ready(self) -> None:
        await resync(self.connection, self.interpreter, self.actions, self.writer)
        if self.keeper is not None:
            self.keeper.reconnected()
        if self.publisher is not None:  # Asterisk may have restarted, or missed a reload: on its own thread
            self.publisher.soon(self.pbx.name)

    def act(self, pbx: str, work: Callable[[Actions], Coroutine[Any, Any, Any]]) -> Any:
        """Run ``work`` on this bridge's own link, from another thread (presence's keeper)."""
        if self.loop is None or pbx != self.pbx.name:
            raise ConnectionError(f"the AMI bridge does not follow {pbx!r} here")
        return asyncio.run_coroutine_threadsafe(work(self.actions), self.loop).result(ACTION_SECONDS)

    def _originated(self, event: AMIEvent) -> None:
        if event.get("Event") == "Newchannel":
            self.actions.channel_seen(event.get("Uniqueid", ""))

    async def run(self, stop: asyncio.Event) -> None:
        self.loop = asyncio.get_running_loop()
        ticker = asyncio.ensure_future(self._tick(stop))
        try:
            await self.connection.run(stop)
        finally:
            ticker.cancel()

    async def _tick(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(1.0)
            self.interpreter.expire(time.time())
            if self.keeper is not None:
                self.keeper.tick()


class AMIService(Service):
    """Follows every configured PBX; with ``persist=False`` a read-only view."""

    name = "ami"

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session] | None = None,
                 bus: Bus | None = None, pbxes: list[PBXSettings] | None = None,
                 persist: bool = True, presence: PresenceService | None = None) -> None:
        self.settings = settings
        self.writer = None
        if persist:
            assert session_factory is not None and bus is not None
            self.writer = Writer(session_factory, bus, settings.recordings_dir(), settings.ami,
                                 settings.instance_dir / "ami-dead-letter.jsonl")
        self.bridges = {p.name: PBXBridge(p, settings, self.writer)
                        for p in (pbxes if pbxes is not None else settings.pbxes())}
        if persist and presence is not None and session_factory is not None:
            from ..presence.keeper import Keeper

            for bridge in self.bridges.values():
                bridge.keeper = Keeper(bridge.pbx.name, presence.with_link(bridge.act), session_factory, bus)
        self.bus = bus
        self.publisher: Publisher | None = None
        if persist and session_factory is not None:
            from ..queues.publishing import Publisher

            self.publisher = Publisher(settings, session_factory, lambda pbx, work: self.bridges[pbx].act(pbx, work))
            for bridge in self.bridges.values():
                bridge.publisher = self.publisher
        self._unsubscribe: list[Callable[[], None]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self.error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        settle_memory()
        if self.writer is not None:
            self.writer.start()
            self.writer.sweep_stale(self.settings.ami.stale_call_hours)
        for bridge in self.bridges.values():
            if bridge.keeper is not None:
                bridge.keeper.start()
        if self.publisher is not None and self.bus is not None:
            from ..events import QueueDefined

            self._unsubscribe.append(self.bus.subscribe(QueueDefined, self.publisher.on_queue_defined))
        self._thread = threading.Thread(target=self._main, name="ami-bridge", daemon=True)
        self._thread.start()
        self._started.wait(10)

    def _main(self) -> None:
        try:
            asyncio.run(self._amain())
        except BaseException as exc:  # reported through alive()
            self.error = exc
            log.exception("AMI bridge failed")

    async def _amain(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._started.set()
        if not self.bridges:
            log.warning("AMI bridge: no PBX configured ([[pbx]] or [lab] enabled)")
        await asyncio.gather(*(b.run(self._stop) for b in self.bridges.values()))

    def stop(self, timeout: float = 10.0) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self.publisher is not None:
            self.publisher.close()
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
        for bridge in self.bridges.values():
            if bridge.keeper is not None:
                bridge.keeper.stop(timeout)
        if self.writer is not None:
            self.writer.flush(timeout)
            self.writer.stop(timeout)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- for other threads -----------------------------------------------------------
    def bridge(self, pbx: str | None = None) -> PBXBridge:
        if pbx is None:
            return next(iter(self.bridges.values()))
        return self.bridges[pbx]

    def action(self, name: str, *args: Any, pbx: str | None = None, timeout: float = 30.0,
               **kwargs: Any) -> Any:
        """Run a safe action (``originate``, ``hangup``, ``queue_pause`` ...) and wait."""
        if self.loop is None:
            raise RuntimeError("the AMI bridge is not running")
        method = getattr(self.bridge(pbx).actions, name)
        future = asyncio.run_coroutine_threadsafe(method(*args, **kwargs), self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            raise TimeoutError(f"AMI action {name} on {pbx or 'default PBX'} timed out") from exc

    def connected(self, pbx: str | None = None) -> bool:
        return self.bridge(pbx).connection.ready.is_set()

    def snapshot(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Live calls, queues and agents of every PBX, copied on the loop."""
        if self.loop is None:
            return []

        async def copy() -> list[dict[str, Any]]:
            now = time.time()
            return [b.live.snapshot(now) for b in self.bridges.values()]
        return asyncio.run_coroutine_threadsafe(copy(), self.loop).result(timeout)
