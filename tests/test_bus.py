"""The event bus on both backends: ordered delivery, patterns, publish-on-commit."""
from __future__ import annotations

import queue
import threading
from typing import Any

import pytest
from sqlalchemy import text

from callcenter.bus import LocalBus, Message, PostgresBus
from callcenter.db import transaction
from callcenter.events import (
    AgentStateChanged,
    CallAnswered,
    CallRingingAgent,
    EventError,
    QueueChanged,
    TicketCreated,
    TicketEvent,
)


def _collect(bus, topic) -> queue.Queue[Message[Any]]:
    got: queue.Queue[Message[Any]] = queue.Queue()
    bus.subscribe(topic, got.put)
    return got


def _drain(q: queue.Queue[Message[Any]], n: int, timeout: float = 5.0) -> list[Message[Any]]:
    return [q.get(timeout=timeout) for _ in range(n)]


def test_events_arrive_in_order_and_by_pattern(container) -> None:
    bus = container.bus
    calls, queues = _collect(bus, "call_*"), _collect(bus, QueueChanged)
    for i in range(50):
        bus.publish(CallRingingAgent(pbx="lab", linkedid=f"1700.{i}"))
    bus.publish(QueueChanged(pbx="lab", queue="support", waiting=2))
    assert [m.event.linkedid for m in _drain(calls, 50)] == [f"1700.{i}" for i in range(50)]
    queued = _drain(queues, 1)[0]
    assert queued.event == QueueChanged(pbx="lab", queue="support", waiting=2)
    assert queued.event.payload() == {"pbx": "lab", "queue": "support", "waiting": 2,
                                      "longest_wait_seconds": None, "oldest_joined_at": None}
    assert calls.empty()


def test_a_base_class_subscribes_to_every_subclass(container) -> None:
    bus = container.bus
    tickets = _collect(bus, TicketEvent)
    bus.publish(QueueChanged(pbx="lab", queue="support", waiting=1))  # not a ticket event
    bus.publish(TicketCreated(ticket_id=7, number="1000007"))
    assert _drain(tickets, 1)[0].event == TicketCreated(ticket_id=7, number="1000007")
    with pytest.raises(queue.Empty):
        tickets.get(timeout=0.3)


def test_publish_with_session_waits_for_commit(container) -> None:
    bus = container.bus
    got = _collect(bus, TicketCreated)
    with pytest.raises(RuntimeError), transaction(container.session_factory) as s:
        s.execute(text("SELECT 1"))
        bus.publish(TicketCreated(ticket_id=1), session=s)
        raise RuntimeError("rolled back")
    with transaction(container.session_factory) as s:
        for i in range(2, 302):  # one transaction's events leave together, in publish order
            bus.publish(TicketCreated(ticket_id=i), session=s)
    assert [m.event.ticket_id for m in _drain(got, 300)] == list(range(2, 302))
    with pytest.raises(queue.Empty):
        got.get(timeout=0.5)


def test_a_failing_handler_does_not_stop_others(container) -> None:
    bus = container.bus
    bus.subscribe(AgentStateChanged, lambda m: 1 / 0)
    got = _collect(bus, AgentStateChanged)
    bus.publish(AgentStateChanged(pbx="lab", interface="PJSIP/agent1001", state="available"))
    assert _drain(got, 1)[0].event.state == "available"


def test_oversized_payload_is_refused(container) -> None:
    with pytest.raises(ValueError, match="too large"):
        container.bus.publish(CallRingingAgent(pbx="lab", linkedid="1700.1", ivr={"blob": "a" * 9000}))


def test_only_catalogue_events_are_published(container) -> None:
    from dataclasses import dataclass

    from callcenter.events import Event

    @dataclass(frozen=True, kw_only=True)
    class Unnamed(Event):  # no name: not in the catalogue
        x: int = 0

    with pytest.raises(TypeError):
        container.bus.publish(Unnamed(x=1))
    with pytest.raises(TypeError):
        container.bus.publish("call_answered", {"pbx": "lab", "linkedid": "1700.1"})  # the old call style


def test_postgres_bus_carries_events_between_processes(pg_server: str) -> None:
    """Two buses = two processes' worth of connections on one PostgreSQL."""
    a, b = PostgresBus(pg_server, channel="cc_test"), PostgresBus(pg_server, channel="cc_test")
    a.start()
    b.start()
    try:
        got = _collect(b, CallAnswered)
        a.publish(CallAnswered(pbx="lab", linkedid="1700.1", caller_name="王芳"))
        message = _drain(got, 1)[0]
        assert message.event == CallAnswered(pbx="lab", linkedid="1700.1", caller_name="王芳")
        assert type(message.event) is CallAnswered and message.name == "call_answered"
    finally:
        a.stop()
        b.stop()


def test_postgres_bus_drops_a_malformed_payload(pg_server: str, caplog: pytest.LogCaptureFixture) -> None:
    """A NOTIFY that does not fit its event's class never reaches a handler; the next good one does."""
    import psycopg

    bus = PostgresBus(pg_server, channel="callcenter_events")
    bus.start()
    try:
        got = _collect(bus, "*")
        with psycopg.connect(pg_server, autocommit=True) as other:  # another process, or an attacker
            other.execute("""SELECT pg_notify('callcenter_events',
                             '{"n":"ticket_created","p":{"ticket_id":"x"},"t":0,"o":"x"}')""")
            other.execute("""SELECT pg_notify('callcenter_events', '{"n":"no_such_event","p":{},"t":0,"o":"x"}')""")
            other.execute("SELECT pg_notify('callcenter_events', 'not json')")
        bus.publish(TicketCreated(ticket_id=42, number="1000042"))
        message = _drain(got, 1)[0]
        assert message.event == TicketCreated(ticket_id=42, number="1000042")
        with pytest.raises(queue.Empty):
            got.get(timeout=0.5)
        assert sum("ignoring malformed event" in r.getMessage() for r in caplog.records) == 3
    finally:
        bus.stop()
    with pytest.raises(EventError):  # what the listener refused
        Message.decode('{"n":"ticket_created","p":{"ticket_id":"x"},"t":0,"o":"x"}')


def test_local_bus_stops_cleanly() -> None:
    bus = LocalBus()
    bus.start()
    done = threading.Event()
    bus.subscribe("*", lambda m: done.set())
    bus.publish(QueueChanged(pbx="lab", queue="support", waiting=0))
    assert done.wait(2)
    bus.stop()


def test_pop_pipeline_prepares_in_parallel_and_applies_in_arrival_order() -> None:
    """Screen pops are built on several threads; desks still see events in order."""
    import random
    import time

    from web.desk.pipeline import Pipeline

    pipeline, applied, threads = Pipeline(builders=4), [], set()
    done = threading.Event()

    def prepare(m: Message[CallRingingAgent]) -> int:
        threads.add(threading.current_thread().name)
        time.sleep(random.uniform(0, 0.02))  # a slow query, longer for some
        return int(m.event.linkedid) * 10

    def apply(m: Message[CallRingingAgent], prepared: int) -> None:
        applied.append((int(m.event.linkedid), prepared))
        if len(applied) == 60:
            done.set()

    for i in range(60):
        pipeline.submit(Message(CallRingingAgent(pbx="lab", linkedid=str(i))), prepare, apply)
    assert done.wait(10)
    pipeline.stop()
    assert applied == [(i, i * 10) for i in range(60)]
    assert len(threads) > 1


def test_pop_pipeline_prepares_one_calls_events_in_order() -> None:
    """A call's "answered" is prepared after its ring (it moves the pop the ring stores), even when the
    ring is the slow one; other calls' events do not wait for it."""
    import time

    from web.desk.pipeline import Pipeline

    pipeline, started, applied = Pipeline(builders=4), [], []
    done = threading.Event()

    def prepare(m: Message[CallRingingAgent]) -> None:
        if m.event.linkedid == "slow":
            time.sleep(0.3)
        started.append(m.event.linkedid + ":" + str(m.event.queue))

    def apply(m: Message[CallRingingAgent], _prepared: None) -> None:
        applied.append(m.event.linkedid)
        if len(applied) == 3:
            done.set()

    for linkedid, step in (("slow", "ring"), ("other", "ring"), ("slow", "answered")):
        pipeline.submit(Message(CallRingingAgent(pbx="lab", linkedid=linkedid, queue=step)), prepare, apply,
                        key=f"lab:{linkedid}")
    assert done.wait(10)
    pipeline.stop()
    assert started == ["other:ring", "slow:ring", "slow:answered"]
    assert applied == ["slow", "other", "slow"]


def test_a_process_starts_while_postgresql_is_away_and_keeps_trying() -> None:
    """The AMI bridge restarted during a database outage must read Asterisk at once: the bus does not hold
    the process's start until LISTEN works (calls that began and ended meanwhile were lost that way)."""
    import socket

    with socket.socket() as s:  # a port nobody listens on: connections are refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bus = PostgresBus(f"postgresql://cc@127.0.0.1:{port}/cc", channel="cc_test")
    waited = threading.Event()

    def start() -> None:
        bus.start()
        waited.set()

    starter = threading.Thread(target=start)
    starter.start()
    try:
        assert waited.wait(8), "start() waited for a database that refuses connections"
        assert not bus.listening.is_set() and bus._listener is not None and bus._listener.is_alive()
    finally:
        starter.join(15)
        bus.stop()
    assert bus._listener is None


def test_events_of_a_savepoint_wait_for_the_transaction_to_commit(tmp_path) -> None:
    """A savepoint's release is not the commit: nothing leaves until the whole transaction does; a
    transaction rolled back after a released savepoint sends nothing, and a savepoint rolled back drops only
    what it held (the audit rows likewise)."""
    from sqlalchemy import func, select

    from callcenter import migrations
    from callcenter.access import audit
    from callcenter.access.audit import Actor
    from callcenter.bus import LocalBus
    from callcenter.db import make_engine, make_session_factory
    from callcenter.events import CallbackRequested
    from callcenter.models import AuditLog

    engine = make_engine(f"sqlite:///{tmp_path / 'bus.db'}")
    migrations.upgrade(engine)
    factory, bus = make_session_factory(engine), LocalBus()
    import queue as q

    got: q.Queue[int] = q.Queue()
    bus.subscribe(CallbackRequested, lambda m: got.put(m.event.callback_id))
    bus.start()
    with factory() as session:
        with session.begin():
            for n in (1, 2):
                with session.begin_nested():
                    bus.publish(CallbackRequested(callback_id=n), session=session)
                    audit.record(session, "test_action", Actor.system("t"))
            assert session.scalar(select(func.count()).select_from(AuditLog)) == 0
        assert got.empty()
        assert [got.get(timeout=5), got.get(timeout=5)] == [1, 2]
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 2
    with factory() as session:
        session.begin()
        with session.begin_nested():
            bus.publish(CallbackRequested(callback_id=3), session=session)
            audit.record(session, "test_action", Actor.system("t"))
        session.rollback()
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 2
    with factory() as session, session.begin():  # a savepoint undone inside a transaction that commits
        with session.begin_nested():
            bus.publish(CallbackRequested(callback_id=4), session=session)
            audit.record(session, "kept", Actor.system("t"))
        try:
            with session.begin_nested():
                bus.publish(CallbackRequested(callback_id=5), session=session)
                audit.record(session, "undone", Actor.system("t"))
                raise RuntimeError("refused")
        except RuntimeError:
            pass
    assert got.get(timeout=5) == 4
    with pytest.raises(q.Empty):
        got.get(timeout=0.5)
    with factory() as session:
        assert set(session.scalars(select(AuditLog.action))) == {"test_action", "kept"}
    with pytest.raises(q.Empty):
        got.get(timeout=0.5)
    bus.stop()
    engine.dispose()


def test_held_items_go_once_per_commit_and_a_long_session_keeps_one_listener() -> None:
    """``db.on_commit`` in a session that lives across many transactions (a worker's): each commit hands
    over what it held, a rollback drops it, and the session's listeners are registered once, not per commit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from callcenter.db import on_commit

    session = Session(create_engine("sqlite://"))
    handed: list[list[int]] = []
    for n in range(5):
        session.execute(text("SELECT 1"))  # a transaction under way, as when a service publishes
        on_commit(session, "test", n, lambda _s, items: handed.append(list(items)), before=True)
        if n == 2:
            session.rollback()
        else:
            session.commit()
        assert len(session.dispatch.before_commit) == 1
    assert handed == [[0], [1], [3], [4]]
