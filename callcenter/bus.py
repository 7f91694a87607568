"""The event bus: named events from the bridge, IVR and dispatcher to whoever listens.

Two backends with one interface:

* ``LocalBus``: in-process (the SQLite default; everything in one process).
* ``PostgresBus``: PostgreSQL LISTEN/NOTIFY, so the web, the bridge and the
  dispatcher can run as separate processes on separate machines.

Handlers run on the bus's own dispatch thread, in publish order, never on
the publisher's thread: the AMI bridge's event loop is never stalled by a
slow consumer.  Subscriptions use fnmatch patterns (``call_*``) like
panoramisk's event patterns.
"""
from __future__ import annotations

import fnmatch
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "callcenter_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD = 7900
ORIGIN = f"{socket.gethostname()}:{os.getpid()}"
# session.info keys: events waiting for their transaction's commit, and "hooks set".
_PENDING, _NOTIFY_HOOK = "callcenter_bus_pending", "callcenter_bus_hooked"
_NOTIFY_ALL = text("SELECT count(pg_notify(:c, p)) FROM (SELECT p FROM unnest(CAST(:ps AS text[])) "
                   "WITH ORDINALITY AS u(p, i) ORDER BY i) AS ordered")


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict[str, Any]
    at: float = field(default_factory=time.time)
    origin: str = ORIGIN
    # When the source saw what the event reports (the AMI bridge: the AMI event's
    # arrival), if earlier than ``at``; travels with the event, for latency figures.
    source_at: float | None = None
    # When this process got the event (not sent on): the hub's share of the latency.
    received_at: float = field(default_factory=time.time, compare=False)

    def encode(self) -> str:
        d = {"n": self.name, "p": self.payload, "t": self.at, "o": self.origin}
        if self.source_at is not None:
            d["s"] = self.source_at
        return json.dumps(d, separators=(",", ":"), default=str)

    @classmethod
    def decode(cls, raw: str) -> Event:
        d = json.loads(raw)
        return cls(name=d["n"], payload=d["p"], at=d["t"], origin=d["o"], source_at=d.get("s"))


Handler = Callable[[Event], None]


class Bus:
    """Subscriptions and ordered dispatch; subclasses decide how events travel."""

    def __init__(self) -> None:
        self._subs: list[tuple[str, Handler]] = []
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    # -- subscribing -----------------------------------------------------
    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for every event whose name matches; returns an unsubscribe."""
        entry = (pattern, handler)
        with self._lock:
            self._subs.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subs:
                    self._subs.remove(entry)

        return unsubscribe

    def _deliver(self, ev: Event) -> None:
        with self._lock:
            targets = [h for p, h in self._subs if fnmatch.fnmatchcase(ev.name, p)]
        for handler in targets:
            try:
                handler(ev)
            except Exception:
                log.exception("event handler %r failed on %s", handler, ev.name)

    def _dispatch_loop(self) -> None:
        while (ev := self._queue.get()) is not None:
            self._deliver(ev)

    # -- publishing ------------------------------------------------------
    def publish(self, name: str, payload: dict[str, Any] | None = None,
                session: Session | None = None, source_at: float | None = None) -> None:
        """Publish now, or, given a session, only if and when it commits."""
        ev = Event(name, payload or {}, source_at=source_at)
        if len(ev.encode().encode()) > MAX_PAYLOAD:
            raise ValueError(f"event {name} payload too large; publish ids, not documents")
        if session is None:
            self._send(ev)
        else:
            self._send_on_commit(session, ev)

    def _send(self, ev: Event) -> None:
        raise NotImplementedError

    def _send_on_commit(self, session: Session, ev: Event) -> None:
        sa_event.listen(session, "after_commit", lambda _s: self._send(ev), once=True)

    # -- lifecycle -------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._dispatch_loop, name="bus-dispatch",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None


class LocalBus(Bus):
    """In-process delivery: the embedded, single-process default."""

    def _send(self, ev: Event) -> None:
        self._queue.put(ev)


class PostgresBus(Bus):
    """LISTEN/NOTIFY: every process listening on the channel gets every event.

    A process's own events come back through LISTEN too, so delivery is the
    same whether publisher and subscriber share a process or not.  With a
    session, NOTIFY joins that transaction and PostgreSQL delivers it only on
    commit.
    """

    def __init__(self, dsn: str, channel: str = CHANNEL) -> None:
        super().__init__()
        self.dsn = dsn.replace("postgresql+psycopg://", "postgresql://")
        self.channel = channel
        self._pub_conn: Any = None
        self._pub_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stopping = threading.Event()
        self.listening = threading.Event()

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)

    def _send(self, ev: Event) -> None:
        with self._pub_lock:
            for attempt in (1, 2):
                try:
                    if self._pub_conn is None or self._pub_conn.closed:
                        self._pub_conn = self._connect()
                    self._pub_conn.execute("SELECT pg_notify(%s, %s)", (self.channel, ev.encode()))
                    return
                except Exception:
                    self._pub_conn = None
                    if attempt == 2:
                        raise

    def _send_on_commit(self, session: Session, ev: Event) -> None:
        """Collected, then sent as one statement just before the commit: a busy
        writer's batch pays one round trip for its events, not one per event."""
        pending, hooked = (_PENDING, self.channel), (_NOTIFY_HOOK, self.channel)
        if hooked not in session.info:
            session.info[hooked] = True
            sa_event.listen(session, "before_commit", self._notify_pending)
            sa_event.listen(session, "after_rollback", lambda s: s.info.pop(pending, None))
        session.info.setdefault(pending, []).append(ev.encode())

    def _notify_pending(self, session: Session) -> None:
        payloads = session.info.pop((_PENDING, self.channel), None)
        if payloads:
            # In array order (WITH ORDINALITY), so NOTIFY order is publish order.
            session.execute(_NOTIFY_ALL, {"c": self.channel, "ps": payloads})

    def _listen_loop(self) -> None:
        delay = 0.5
        while not self._stopping.is_set():
            try:
                conn = self._connect()
                with conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    self.listening.set()
                    delay = 0.5
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=0.5):
                            try:
                                self._queue.put(Event.decode(note.payload))
                            except (ValueError, KeyError):
                                log.warning("ignoring malformed event on %s", self.channel)
            except Exception as exc:
                self.listening.clear()
                if self._stopping.is_set():
                    break
                log.warning("event bus: lost PostgreSQL (%s); retrying in %.1fs", exc, delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, 10.0)

    def start(self) -> None:
        super().start()
        if self._listener is None:
            self._stopping.clear()
            self._listener = threading.Thread(target=self._listen_loop, name="bus-listen", daemon=True)
            self._listener.start()
            self.listening.wait(10)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.join(timeout)
            self._listener = None
        with self._pub_lock:
            if self._pub_conn is not None:
                self._pub_conn.close()
                self._pub_conn = None
        super().stop(timeout)


def make_bus(database_url: str) -> Bus:
    """PostgreSQL deployments share events across processes; SQLite stays in-process."""
    if database_url.startswith(("postgresql", "postgres")):
        return PostgresBus(database_url)
    return LocalBus()
