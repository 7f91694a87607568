"""The event bus on both backends: ordered delivery, patterns, publish-on-commit."""
from __future__ import annotations

import queue
import threading

import pytest
from sqlalchemy import text

from callcenter.bus import Event, LocalBus, PostgresBus

from callcenter.db import transaction


def _collect(bus, pattern: str) -> queue.Queue:  # type: ignore[no-untyped-def]
    got: queue.Queue = queue.Queue()
    bus.subscribe(pattern, got.put)
    return got


def _drain(q: queue.Queue, n: int, timeout: float = 5.0) -> list[Event]:
    return [q.get(timeout=timeout) for _ in range(n)]


def test_events_arrive_in_order_and_by_pattern(container) -> None:  # type: ignore[no-untyped-def]
    bus = container.bus
    calls, queues = _collect(bus, "call_*"), _collect(bus, "queue_changed")
    for i in range(50):
        bus.publish("call_ringing_agent", {"i": i})
    bus.publish("queue_changed", {"queue": "support", "waiting": 2})
    assert [e.payload["i"] for e in _drain(calls, 50)] == list(range(50))
    assert _drain(queues, 1)[0].payload == {"queue": "support", "waiting": 2}
    assert calls.empty()


def test_publish_with_session_waits_for_commit(container) -> None:  # type: ignore[no-untyped-def]
    bus = container.bus
    got = _collect(bus, "ticket_created")
    with pytest.raises(RuntimeError), transaction(container.session_factory) as s:
        s.execute(text("SELECT 1"))
        bus.publish("ticket_created", {"id": 1}, session=s)
        raise RuntimeError("rolled back")
    with transaction(container.session_factory) as s:
        for i in range(2, 302):  # one transaction's events leave together, in publish order
            bus.publish("ticket_created", {"id": i}, session=s)
    assert [e.payload["id"] for e in _drain(got, 300)] == list(range(2, 302))
    with pytest.raises(queue.Empty):
        got.get(timeout=0.5)


def test_a_failing_handler_does_not_stop_others(container) -> None:  # type: ignore[no-untyped-def]
    bus = container.bus
    bus.subscribe("x", lambda e: 1 / 0)
    got = _collect(bus, "x")
    bus.publish("x", {"ok": True})
    assert _drain(got, 1)[0].payload == {"ok": True}


def test_oversized_payload_is_refused(container) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="too large"):
        container.bus.publish("x", {"blob": "a" * 9000})


def test_postgres_bus_carries_events_between_processes(pg_server: str) -> None:
    """Two buses = two processes' worth of connections on one PostgreSQL."""
    a, b = PostgresBus(pg_server, channel="cc_test"), PostgresBus(pg_server, channel="cc_test")
    a.start(), b.start()
    try:
        got = _collect(b, "call_answered")
        a.publish("call_answered", {"linkedid": "1700.1", "name": "王芳"})
        ev = _drain(got, 1)[0]
        assert ev.payload == {"linkedid": "1700.1", "name": "王芳"}
    finally:
        a.stop(), b.stop()


def test_local_bus_stops_cleanly() -> None:
    bus = LocalBus()
    bus.start()
    done = threading.Event()
    bus.subscribe("*", lambda e: done.set())
    bus.publish("anything")
    assert done.wait(2)
    bus.stop()


def test_pop_pipeline_prepares_in_parallel_and_applies_in_arrival_order() -> None:
    """Screen pops are built on several threads; desks still see events in order."""
    import random
    import time

    from web.pops import Pipeline

    pipeline, applied, threads = Pipeline(builders=4), [], set()
    done = threading.Event()

    def prepare(ev: Event) -> int:
        threads.add(threading.current_thread().name)
        time.sleep(random.uniform(0, 0.02))  # a slow query, longer for some
        return ev.payload["i"] * 10

    def apply(ev: Event, prepared: int) -> None:
        applied.append((ev.payload["i"], prepared))
        if len(applied) == 60:
            done.set()

    for i in range(60):
        pipeline.submit(Event("call_ringing_agent", {"i": i}), prepare, apply)
    assert done.wait(10)
    pipeline.stop()
    assert applied == [(i, i * 10) for i in range(60)]
    assert len(threads) > 1
