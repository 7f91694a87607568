"""One AMI link to one PBX, kept alive by us rather than by panoramisk.

panoramisk 1.4 reconnects on a fixed 2 s timer, never checks that its Ping
is answered (a half-open link goes unnoticed), and re-sends actions that
were unanswered when the link dropped (an Originate could dial twice).  So
its ``Manager`` keeps the parts we want (login, action futures, response
matching) and we take over the rest:

* reconnect with exponential backoff, jitter and a cap (``callcenter.retry``);
* a keepalive Ping whose reply is awaited: no Pong within the timeout
  closes the link (half-open links are noticed within interval + timeout);
* an action in flight when the link drops fails with ``ConnectionLost``;
  nothing is ever re-sent.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from panoramisk import Manager

from .. import retry
from ..config import AMISettings, PBXSettings
from .protocol import AMIEvent, EventProtocol

log = logging.getLogger(__name__)


class ConnectionLost(ConnectionError):
    """The link dropped (or is down) before the action was answered."""


class LoginRefused(PermissionError):
    pass


class _FailFastProtocol(EventProtocol):
    """Fails unanswered actions when the link closes instead of queueing them
    for panoramisk's resend-after-reconnect."""

    def close(self) -> None:
        for action in list(getattr(self, "responses", {}).values()):
            if not action.future.done():
                action.future.set_exception(ConnectionLost("AMI link closed before the reply"))
        self.responses.clear()
        super().close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.close()
            if self.factory is not None:
                self.factory.connection_lost(exc)


class _Manager(Manager):
    """panoramisk's Manager without its own reconnect, pinger or resend."""

    def __init__(self, owner: AMIConnection, **config: Any) -> None:
        super().__init__(**config)
        self.owner = owner

    def ping(self) -> None:  # our keepalive awaits the reply instead
        pass

    def login(self, future: asyncio.Future[Any]) -> bool:
        if future.cancelled() or future.exception() is not None:
            return False
        return bool(super().login(future))

    async def send_awaiting_actions(self, *_: Any) -> None:
        self.awaiting_actions.clear()  # never re-send anything

    def connection_lost(self, exc: Exception | None) -> None:
        self._connected = False
        self.awaiting_actions.clear()
        self.owner.link_lost(exc)

    def dispatch(self, event: Any) -> list[str]:
        """Events panoramisk parsed (those carrying an ActionID) join the plain ones."""
        self.owner.on_event(dict(event.items()))
        return []

    def on_event(self, event: AMIEvent) -> None:
        self.owner.on_event(event)


class AMIConnection:
    """Connect, log in, run ``on_ready`` (resync), keep alive, repeat."""

    def __init__(self, pbx: PBXSettings, cfg: AMISettings, on_event: Callable[[AMIEvent], None],
                 on_ready: Callable[[], Awaitable[None]] | None = None) -> None:
        self.pbx, self.cfg = pbx, cfg
        self.on_event = on_event
        self.on_ready = on_ready
        self.ready = asyncio.Event()
        self.sessions = 0
        self._lost: asyncio.Future[None] | None = None
        self.manager: _Manager | None = None

    # -- called by panoramisk ------------------------------------------------
    def link_lost(self, exc: Exception | None) -> None:
        self.ready.clear()
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        log.warning("%s: AMI link lost (%s)", self.pbx.name, exc or "closed")

    # -- actions ---------------------------------------------------------------
    async def send(self, action: dict[str, Any], as_list: bool | None = None,
                   timeout: float | None = None) -> Any:
        """Send once and await the reply; ConnectionLost if the link is (or goes) down."""
        manager = self.manager
        if manager is None or manager.protocol is None or manager.protocol.closed:
            raise ConnectionLost(f"{self.pbx.name}: not connected")
        future = manager.send_action(dict(action), as_list=as_list)
        try:
            return await asyncio.wait_for(future, timeout or self.cfg.action_timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"{self.pbx.name}: no reply to {action.get('Action')}") from exc

    def close_link(self) -> None:
        if self.manager is not None and self.manager.protocol is not None:
            self.manager.protocol.connection_lost(None)

    # -- the loop --------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            try:
                if await self._session(stop):
                    attempt = 0
            except LoginRefused as exc:
                log.error("%s: %s", self.pbx.name, exc)
            except (OSError, TimeoutError, ConnectionError) as exc:
                log.warning("%s: AMI at %s:%s unreachable (%s)", self.pbx.name, self.pbx.host,
                            self.pbx.port, str(exc) or type(exc).__name__)
            if stop.is_set():
                break
            delay = retry.delay(attempt, self.cfg.backoff_base, self.cfg.backoff_cap)
            attempt += 1
            log.info("%s: reconnecting in %.1f s", self.pbx.name, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    async def _session(self, stop: asyncio.Event) -> bool:
        """One connected session; True if it got as far as logging in."""
        loop = asyncio.get_running_loop()
        transport, protocol = await asyncio.wait_for(
            loop.create_connection(_FailFastProtocol, self.pbx.host, self.pbx.port),
            self.cfg.connect_timeout)
        self._lost = loop.create_future()
        self.manager = _Manager(self, loop=loop, host=self.pbx.host, port=self.pbx.port,
                                username=self.pbx.username, secret=self.pbx.secret.get_secret_value(),
                                ping_delay=3600, reconnect_timeout=3600)
        opened: asyncio.Future[Any] = loop.create_future()
        opened.set_result((transport, protocol))
        try:
            self.manager.connection_made(opened)
            reply = await asyncio.wait_for(self.manager.authenticated_future, self.cfg.action_timeout)
            if not reply.success:
                raise LoginRefused(f"{self.pbx.name}: AMI login refused for {self.pbx.username!r}")
            self.sessions += 1
            log.info("%s: AMI connected (session %d)", self.pbx.name, self.sessions)
            if self.on_ready is not None:
                await self.on_ready()
            self.ready.set()
            await self._keepalive(stop)
            return True
        finally:
            self.ready.clear()
            self.close_link()

    async def _keepalive(self, stop: asyncio.Event) -> None:
        """Return when the link is lost, a Ping goes unanswered, or we stop."""
        assert self._lost is not None
        stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        try:
            while True:
                await asyncio.wait({self._lost, stopping}, timeout=self.cfg.keepalive_interval,
                                   return_when=asyncio.FIRST_COMPLETED)
                if self._lost.done() or stop.is_set():
                    return
                try:
                    await self.send({"Action": "Ping"}, timeout=self.cfg.keepalive_timeout)
                except TimeoutError:
                    log.warning("%s: no reply to Ping within %.0f s: half-open link, reconnecting",
                                self.pbx.name, self.cfg.keepalive_timeout)
                    return
                except ConnectionError:
                    return
        finally:
            stopping.cancel()
