"""The threaded FastAGI server: one pooled thread per call in the IVR.

pyst2's own fastagi.py is Python 2 only, so we accept connections here and
hand each one's streams to our ``Channel`` (pyst2's ``AGI``).  What keeps a
caller from silence or a stuck channel:

* at most ``max_sessions`` sessions; beyond that a connection is closed at
  once (Asterisk then carries on in the dialplan, which routes to a queue);
* the header (and the resync after it) must arrive within
  ``header_timeout``: a half-sent or never-finished header costs one pooled
  thread for that long and nobody else anything;
* a handler that raises sends the channel to the fail context; a hang-up
  mid-script just ends the session.
"""
from __future__ import annotations

import logging
import re
import socket
import socketserver
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from asterisk.agi import AGIError, AGIHangup
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..db import is_postgres
from ..pbx.values import UnsafeValue
from . import safe
from . import variables as var
from .channel import Channel
from .deferred import DeferredWrites
from .handlers import HANDLERS, Handler
from .request import DialplanBreak, Request
from .transcript import Transcript

if TYPE_CHECKING:
    from ..customers.segments import Segments
    from ..dispatch.notifier import DispatchNotifier
    from ..knowledge.ivr import SelfService
    from ..problems.ivr import IncidentLine

log = logging.getLogger(__name__)

_SCRIPT = re.compile(r"^/?([a-z_]{1,40})(?:[?/].*)?$")


class FastAGIServer(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 512  # Asterisk may open many sessions at once

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session],
                 handlers: dict[str, Handler] | None = None,
                 address: tuple[str, int] | None = None, knowledge: SelfService | None = None,
                 incidents: IncidentLine | None = None, segments: Segments | None = None,
                 notifier: DispatchNotifier | None = None) -> None:
        self.settings = settings
        self.knowledge, self.incidents = knowledge, incidents
        # Customers' segments (IVR priority) and the events an IVR answer publishes (a survey's score).
        self.segments, self.notifier = segments, notifier
        self.session_factory = session_factory
        self.handlers = HANDLERS if handlers is None else handlers
        self.max_sessions = settings.agi.max_sessions
        self._slots = threading.BoundedSemaphore(self.max_sessions)
        self._pool = ThreadPoolExecutor(self.max_sessions, thread_name_prefix="agi")
        self.deferred = DeferredWrites(session_factory, 4 if is_postgres(session_factory.kw["bind"]) else 1)
        self.refused = 0
        super().__init__(address or (settings.agi.host, settings.agi.port), socketserver.BaseRequestHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def sessions(self) -> int:
        """Sessions running now, and writes still queued after their hang-up."""
        return self.max_sessions - self._slots._value + self.deferred.pending

    # socketserver types ``request`` as bytes|socket for every server kind; a TCP server only gets sockets.
    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            log.warning("FastAGI full (%d sessions): closing a new connection", self.max_sessions)
            self.shutdown_request(request)
            return
        self._pool.submit(self._session, request)

    def _session(self, sock: socket.socket) -> None:
        try:
            Connection(self, sock).run()
        except Exception:  # never let one call take the pool thread down
            log.exception("FastAGI session crashed")
        finally:
            self.shutdown_request(sock)
            self._slots.release()

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.deferred.close()


class Connection:
    """One connection: header, resync, handler, and the fail path."""

    def __init__(self, server: FastAGIServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.settings = server.settings
        self.capture = Transcript() if self.settings.agi.capture_dir else None
        self.agi = Channel(sock.makefile("rb"), sock.makefile("wb"),
                           tap=self.capture.tap if self.capture else None)
        self.name = "?"

    def run(self) -> None:
        try:
            self._run()
        finally:
            self._save_capture()

    def _run(self) -> None:
        self.sock.settimeout(self.settings.agi.header_timeout)
        try:
            self.agi.read_header()
            self.agi.sync()
        except (AGIHangup, OSError, AGIError) as exc:
            log.info("FastAGI connection dropped before its first command: %s", exc)
            return
        if self.agi.suspicious_header:
            log.warning("FastAGI header held unexpected lines (hostile caller ID?); resynchronised")
        self.sock.settimeout(self.settings.agi.command_timeout)
        script = _SCRIPT.match(self.agi.env.get("agi_network_script", ""))
        self.name = script.group(1) if script else "?"
        handler = self.server.handlers.get(self.name)
        if handler is None:
            self.give_up(DialplanBreak(f"unknown-agi-{self.name}"))
            return
        with self.server.session_factory() as db:
            request = Request(self.name, self.agi, self.settings, db, args=self._args(),
                              knowledge=self.server.knowledge, incidents=self.server.incidents,
                              segments=self.server.segments, notifier=self.server.notifier)
            try:
                self._handle(handler, request)
            finally:
                self.server.deferred.submit(request)

    def _handle(self, handler: Handler, request: Request) -> None:
        try:
            request.identify()
            handler(request)
        except AGIHangup:
            log.info("caller hung up during %s", self.name)
        except DialplanBreak as exc:
            self.give_up(exc)
        except Exception as exc:
            log.exception("%s failed: sending the caller to %s", self.name, self.settings.ivr.fail_context)
            self.fail(safe.slug(f"{self.name}-{type(exc).__name__}"))

    def give_up(self, exc: DialplanBreak) -> None:
        log.warning("%s gave up (%s): sending the caller to %s", self.name, exc.reason,
                    self.settings.ivr.fail_context)
        self.fail(exc.reason)

    def _args(self) -> list[str]:
        args = [(k[8:], v) for k, v in self.agi.env.items() if k.startswith("agi_arg_")]
        return [v for k, v in sorted(args, key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)]

    def fail(self, reason: str) -> None:
        """Never silence: the dialplan's fail context apologises and finds a human."""
        try:
            self.agi.set(var.FAIL_REASON, safe.slug(reason))
            self.agi.goto(self.settings.ivr.fail_context)
        except (AGIError, OSError, UnsafeValue) as exc:
            log.info("could not send the caller to the fail context (gone?): %s", exc)

    def _save_capture(self) -> None:
        directory = self.settings.agi.capture_dir
        if self.capture is None or directory is None or not self.capture.lines:
            return
        self.capture.comment = f"{self.name} session captured by callcenter"
        try:
            self.capture.save(Path(directory), self.name if self.name != "?" else "unknown")
        except OSError:
            log.exception("could not write the AGI capture")


def serve_in_thread(server: FastAGIServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="fastagi", daemon=True)
    thread.start()
    return thread
