"""The event bus: the catalogue's events, from the bridge, IVR, services and dispatcher to whoever listens.

Two backends with one interface:

* ``LocalBus``: in-process (the SQLite default; everything in one process).
* ``PostgresBus``: PostgreSQL LISTEN/NOTIFY, so the web, the bridge and the
  dispatcher can run as separate processes on separate machines.

What travels is an event of ``callcenter.events`` (one class per name).
Handlers run on the bus's own dispatch thread, in publish order, never on
the publisher's thread: the AMI bridge's event loop is never stalled by a
slow consumer.  A subscription names an event class (or a base class, such
as ``TicketEvent`` for all of them), or an fnmatch pattern of names
(``call_*``) like panoramisk's event patterns.
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
from typing import Any, Generic, Protocol, TypeVar, overload

from sqlalchemy import text
from sqlalchemy.orm import Session

from . import retry
from .db import on_commit
from .events import Event, EventError, decode

log = logging.getLogger(__name__)

CHANNEL = "callcenter_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD = 7900
ORIGIN = f"{socket.gethostname()}:{os.getpid()}"
# session.info keys: events waiting for their transaction's commit, and "hooks set".
_PENDING = "callcenter_bus_pending"
_RECORDED = "callcenter_bus_recorded"
# The payloads go as one JSON array (a text[] parameter costs the driver a dump per element).
_NOTIFY_ALL = text("SELECT count(pg_notify(:c, p)) FROM (SELECT p FROM json_array_elements_text(CAST(:ps AS json)) "
                   "WITH ORDINALITY AS u(p, i) ORDER BY i) AS ordered")
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Message(Generic[E]):
    """One event as it travels: the event itself, when and by which process it was published."""

    event: E
    at: float = field(default_factory=time.time)
    origin: str = ORIGIN
    # When the source saw what the event reports (the AMI bridge: the AMI event's
    # arrival), if earlier than ``at``; travels with the event, for latency figures.
    source_at: float | None = None
    # When this process got the event (not sent on): the hub's share of the latency.
    received_at: float = field(default_factory=time.time, compare=False)

    @property
    def name(self) -> str:
        return self.event.name

    def encode(self) -> str:
        d = {"n": self.event.name, "p": self.event.payload(), "t": self.at, "o": self.origin}
        if self.source_at is not None:
            d["s"] = self.source_at
        return json.dumps(d, separators=(",", ":"), default=str)

    @classmethod
    def decode(cls, raw: str) -> Message[Event]:
        """A message from another process; ValueError if it is not one of the catalogue's events."""
        d = json.loads(raw)
        event = decode(d["n"], d["p"])
        if event is None:
            raise ValueError(f"unknown event {str(d['n'])[:40]!r}")
        return Message(event, at=d["t"], origin=d["o"], source_at=d.get("s"))


Handler = Callable[[Message[E]], None]


class Recorder(Protocol):
    """Writes something for events in their own transaction (``Bus.record_with``)."""

    def record(self, session: Session | None, messages: list[Message[Event]]) -> None: ...


Unsubscribe = Callable[[], None]


def _matcher(topic: type[Event] | str) -> Callable[[Event], bool]:
    if isinstance(topic, str):
        return lambda ev: fnmatch.fnmatchcase(ev.name, topic)
    return lambda ev: isinstance(ev, topic)


class Bus:
    """Subscriptions and ordered dispatch; subclasses decide how events travel."""

    def __init__(self) -> None:
        self._subs: list[tuple[Callable[[Event], bool], Handler[Any]]] = []
        self._recorders: list[Recorder] = []
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Message[Event] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    # -- subscribing -----------------------------------------------------
    @overload
    def subscribe(self, topic: type[E], handler: Handler[E]) -> Unsubscribe: ...

    @overload
    def subscribe(self, topic: str, handler: Handler[Event]) -> Unsubscribe: ...

    def subscribe(self, topic: type[Event] | str, handler: Handler[Any]) -> Unsubscribe:
        """Call ``handler`` for every event of the class (or matching the name pattern);
        returns an unsubscribe."""
        entry: tuple[Callable[[Event], bool], Handler[Any]] = (_matcher(topic), handler)
        with self._lock:
            self._subs.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subs:
                    self._subs.remove(entry)

        return unsubscribe

    def _deliver(self, message: Message[Event]) -> None:
        with self._lock:
            targets = [h for matches, h in self._subs if matches(message.event)]
        for handler in targets:
            try:
                handler(message)
            except Exception:
                log.exception("event handler %r failed on %s", handler, message.name)

    def _dispatch_loop(self) -> None:
        while (message := self._queue.get()) is not None:
            self._deliver(message)

    def record_with(self, recorder: Recorder) -> None:
        """Give ``recorder`` every event published with a session inside that session's transaction, just
        before it commits (the webhook outbox: a committed change always has its deliveries); an event
        published without one, at once."""
        self._recorders.append(recorder)

    def _record_all(self, session: Session | None, messages: list[Message[Event]]) -> None:
        for recorder in self._recorders:
            recorder.record(session, messages)

    # -- publishing ------------------------------------------------------
    def publish(self, event: Event, session: Session | None = None, source_at: float | None = None) -> None:
        """Publish now, or, given a session, only if and when it commits."""
        if not isinstance(event, Event) or not event.name:
            raise TypeError(f"{type(event).__name__} is not an event of the catalogue")
        message: Message[Event] = Message(event, source_at=source_at)
        if len(message.encode().encode()) > MAX_PAYLOAD:
            raise ValueError(f"event {event.name} payload too large; publish ids, not documents")
        if session is None:
            if self._recorders:
                self._record_all(None, [message])
            self._send(message)
        else:
            if self._recorders:
                on_commit(session, (_RECORDED, id(self)), message, self._record_all, before=True)
            self._send_on_commit(session, message)

    def _send(self, message: Message[Event]) -> None:
        raise NotImplementedError

    def _send_on_commit(self, session: Session, message: Message[Event]) -> None:
        """Held in the session until it commits (then sent, in order) or rolls back (then dropped)."""
        on_commit(session, (_PENDING, id(self)), message, lambda _, held: self._send_all(held), before=False)

    def _send_all(self, messages: list[Message[Event]]) -> None:
        for message in messages:
            self._send(message)

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

    def _send(self, message: Message[Event]) -> None:
        self._queue.put(message)


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
        self._tried = threading.Event()  # the first connection was made or refused

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)

    def _send(self, message: Message[Event]) -> None:
        with self._pub_lock:
            for attempt in (1, 2):
                try:
                    if self._pub_conn is None or self._pub_conn.closed:
                        self._pub_conn = self._connect()
                    self._pub_conn.execute("SELECT pg_notify(%s, %s)", (self.channel, message.encode()))
                    return
                except Exception:
                    self._pub_conn = None
                    if attempt == 2:
                        raise

    def _send_on_commit(self, session: Session, message: Message[Event]) -> None:
        """Collected, then sent as one statement just before the commit: a busy
        writer's batch pays one round trip for its events, not one per event."""
        on_commit(session, (_PENDING, self.channel), message.encode(), self._notify_all, before=True)

    def _notify_all(self, session: Session, payloads: list[str]) -> None:
        # In array order (WITH ORDINALITY), so NOTIFY order is publish order.
        session.execute(_NOTIFY_ALL, {"c": self.channel, "ps": json.dumps(payloads)})

    def _listen_loop(self) -> None:
        backoff = retry.Backoff(0.5, 10.0)
        while not self._stopping.is_set():
            try:
                conn = self._connect()
                with conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    self.listening.set()
                    self._tried.set()
                    backoff.reset()
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=0.5):
                            try:
                                self._queue.put(Message.decode(note.payload))
                            except (ValueError, KeyError, TypeError, EventError) as exc:
                                log.warning("ignoring malformed event on %s: %s", self.channel, exc)
            except Exception as exc:  # noqa: BLE001 - whatever broke the link, listen again after a pause
                self.listening.clear()
                self._tried.set()
                if self._stopping.is_set():
                    break
                delay = backoff.next()
                log.warning("event bus: lost PostgreSQL (%s); retrying in %.1fs", exc, delay)
                self._stopping.wait(delay)

    def start(self) -> None:
        super().start()
        if self._listener is None:
            self._stopping.clear()
            self._tried.clear()
            self._listener = threading.Thread(target=self._listen_loop, name="bus-listen", daemon=True)
            self._listener.start()
            # Until LISTEN runs, or PostgreSQL is found away: then the service starts and the loop keeps
            # trying (the AMI bridge must read Asterisk at once; waiting here left calls unseen).
            self._tried.wait(10)

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


class Notifier:
    """Base of each domain's notifier (one method per event it publishes); without a bus, nothing leaves."""

    def __init__(self, bus: Bus | None) -> None:
        self.bus = bus

    def _publish(self, event: Event, session: Session | None = None, source_at: float | None = None) -> None:
        if self.bus is not None:
            self.bus.publish(event, session=session, source_at=source_at)


def make_bus(database_url: str) -> Bus:
    """PostgreSQL deployments share events across processes; SQLite stays in-process."""
    if database_url.startswith(("postgresql", "postgres")):
        return PostgresBus(database_url)
    return LocalBus()
