"""Pops kept on the server, on SQLite and PostgreSQL: the state machine, two web processes on one database,
and PopHandled reaching every process's desks."""
from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.bus import Bus, make_bus
from callcenter.calls.records import ensure_call
from callcenter.db import is_postgres, transaction
from callcenter.events import CallAnswered, CallEnded, CallRingingAgent, CallRingStopped, PopHandled
from callcenter.models import Call, DeskPop, PopState, utcnow
from callcenter.pops.service import NO_TICKET, TICKET, key_of
from tests.support.rows import row
from web.desk.pops import PopHub

KEY = "lab:1700000900.1"


def _call(container: Any, linkedid: str = "1700000900.1") -> int:
    with transaction(container.session_factory) as s:
        return ensure_call(s, "lab", linkedid, caller_number="+12025550177", queue_name="support").id


def _record(container: Any, user_id: int, call_id: int, at: float, key: str = KEY) -> PopState:
    with transaction(container.session_factory) as s:
        pop: DeskPop = container.pops.record(s, user_id=user_id, call_id=call_id, key=key,
                                             payload={"key": key, "call_id": call_id, "event_at": at})
        return pop.state


def _states(container: Any, key: str = KEY) -> dict[int, str]:
    with container.session_factory() as s:
        return {p.user_id: p.state.value for p in s.scalars(select(DeskPop).where(DeskPop.key == key))}


def test_a_pop_rings_is_answered_here_ends_and_waits_to_be_handled(container, shop) -> None:
    ann, bob = shop.users["ann"], shop.users["bob"]
    call_id = _call(container)
    handled: list[PopHandled] = []
    container.bus.subscribe(PopHandled, lambda m: handled.append(m.event))
    assert _record(container, ann, call_id, 1.0) is PopState.RINGING
    assert _record(container, bob, call_id, 1.0) is PopState.RINGING
    with transaction(container.session_factory) as s:
        container.pops.answered(s, KEY, ann, 2.0)
    assert _states(container) == {ann: "answered", bob: "withdrawn"}
    with transaction(container.session_factory) as s:
        container.pops.ended(s, KEY, 3.0)
    assert _states(container) == {ann: "ended", bob: "withdrawn"}  # the caller hung up: ann still owes it
    with container.session_factory() as s:
        assert [p.key for p in container.pops.open_pops(s, ann)] == [KEY]
        assert container.pops.open_pops(s, bob) == []
    for _ in range(2):  # a second click (or tab) changes nothing and tells nobody again
        with transaction(container.session_factory) as s:
            container.pops.handle(s, ann, row(s, Call, call_id), NO_TICKET)
    _wait(lambda: handled)
    time.sleep(0.2)
    assert [(h.user_id, h.key, h.outcome) for h in handled] == [(ann, KEY, "no_ticket")]
    with container.session_factory() as s:
        assert container.pops.open_pops(s, ann) == []
        # Closed pops keep when they rang, not who called.
        assert [p.payload for p in s.scalars(select(DeskPop).order_by(DeskPop.user_id))] == [{"event_at": 1.0}] * 2


def test_a_ring_that_stopped_goes_and_a_new_ring_of_the_same_call_comes_back(container, shop) -> None:
    ann = shop.users["ann"]
    call_id = _call(container)
    _record(container, ann, call_id, 1.0)
    with transaction(container.session_factory) as s:
        container.pops.ring_stopped(s, KEY, ann, 2.0)
    assert _states(container) == {ann: "withdrawn"}
    # Another process stores the first ring late: it does not reopen what was withdrawn after it.
    assert _record(container, ann, call_id, 1.0) is PopState.WITHDRAWN
    # The queue rings ann again: the pop is back, and a late "ring stopped" of the first ring leaves it.
    assert _record(container, ann, call_id, 5.0) is PopState.RINGING
    with transaction(container.session_factory) as s:
        container.pops.ring_stopped(s, KEY, ann, 2.0)
    assert _states(container) == {ann: "ringing"}


def test_open_pops_are_oldest_first_and_settled_from_the_call(container, shop) -> None:
    """Pops whose call ended while no process moved them (all were restarting) settle when listed."""
    ann = shop.users["ann"]
    first, second, third = (_call(container, f"1700000901.{n}") for n in range(3))
    for n, call_id in enumerate((first, second, third)):
        _record(container, ann, call_id, float(n + 1), key=f"lab:1700000901.{n}")
    with transaction(container.session_factory) as s:
        row(s, Call, second).ended_at = utcnow()  # rang ann, nobody answered
        answered = row(s, Call, third)
        answered.ended_at, answered.agent_id = utcnow(), ann  # ann took it
    with transaction(container.session_factory) as s:
        listed = container.pops.open_pops(s, ann)
        assert [(p.key, p.state) for p in listed] == [("lab:1700000901.0", PopState.RINGING),
                                                      ("lab:1700000901.2", PopState.ENDED)]
    assert _states(container, "lab:1700000901.1") == {ann: "withdrawn"}


def test_a_call_that_never_popped_here_has_no_pop_to_handle(container, shop) -> None:
    """sue files the form of a call she opened from elsewhere: no desk showed it, nothing is stored or told."""
    ann = shop.users["ann"]
    call_id = _call(container)
    _record(container, ann, call_id, 1.0)
    with transaction(container.session_factory) as s:
        assert container.pops.handle(s, shop.users["sue"], row(s, Call, call_id), TICKET) is None
    with container.session_factory() as s:
        assert container.pops.popped_to(s, ann, "lab", "1700000900.1")
        assert not container.pops.popped_to(s, shop.users["sue"], "lab", "1700000900.1")
    assert _states(container) == {ann: "ringing"}


# -- two web processes on one database ---------------------------------------------------------------
@pytest.fixture
def second_bus(container: Any) -> Iterator[Bus]:
    """The bus a second web process would have: its own LISTEN connection on PostgreSQL; in-process
    on SQLite (where every process is one)."""
    if not is_postgres(container.engine):
        yield container.bus
        return
    bus = make_bus(container.engine.url.render_as_string(hide_password=False))
    bus.start()
    yield bus
    bus.stop()


@pytest.fixture
def hubs(container: Any, second_bus: Bus) -> Iterator[list[PopHub]]:
    both = [PopHub(bus, container.session_factory, container.pops) for bus in (container.bus, second_bus)]
    for hub in both:
        hub.start()
    yield both
    for hub in both:
        hub.stop()


def _next(stream: queue.Queue[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    message = stream.get(timeout=10)
    return message["type"], message["data"]


def _wait(check: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("gave up waiting")


def test_two_processes_store_one_pop_move_it_and_both_drop_it_when_handled(container, shop, hubs) -> None:
    ann = shop.users["ann"]
    tabs = [hub.connect(ann) for hub in hubs]  # ann's desk is open in a tab on each process
    container.bus.publish(CallRingingAgent(pbx="lab", linkedid="1700000902.1", interface="PJSIP/agent1001",
                                           caller_number="+12025550178", queue="support"))
    pops = [_next(tab) for tab in tabs]
    assert [kind for kind, _ in pops] == ["pop", "pop"] and pops[0][1]["key"] == pops[1][1]["key"]
    key = pops[0][1]["key"]
    assert _states(container, key) == {ann: "ringing"}  # both stored it: one row
    container.bus.publish(CallAnswered(pbx="lab", linkedid="1700000902.1", interface="PJSIP/agent1001"))
    assert [_next(tab) for tab in tabs] == [("answered", {"key": key})] * 2
    container.bus.publish(CallEnded(pbx="lab", linkedid="1700000902.1"))
    assert [_next(tab) for tab in tabs] == [("ended", {"key": key})] * 2
    assert _states(container, key) == {ann: "ended"}
    with transaction(container.session_factory) as s:  # a form filed in one process's tab
        call = s.scalars(select(Call).where(Call.linkedid == "1700000902.1")).one()
        container.pops.handle(s, ann, call, NO_TICKET)
    for tab in tabs:
        kind, data = _next(tab)
        assert (kind, data["key"], data["outcome"]) == ("handled", key, "no_ticket")


def test_a_ring_answered_elsewhere_or_stopped_is_withdrawn_in_every_process(container, shop, hubs) -> None:
    ann, bob = shop.users["ann"], shop.users["bob"]
    ann_tab, bob_tab = hubs[0].connect(ann), hubs[1].connect(bob)
    for iface in ("PJSIP/agent1001", "PJSIP/agent1002"):
        container.bus.publish(CallRingingAgent(pbx="lab", linkedid="1700000903.1", interface=iface))
    assert _next(ann_tab)[0] == _next(bob_tab)[0] == "pop"
    container.bus.publish(CallRingStopped(pbx="lab", linkedid="1700000903.1", interface="PJSIP/agent1002"))
    assert _next(bob_tab) == ("withdraw", {"key": "lab:1700000903.1", "reason": "ring_stopped"})
    container.bus.publish(CallAnswered(pbx="lab", linkedid="1700000903.1", interface="PJSIP/agent1003"))
    assert _next(ann_tab) == ("withdraw", {"key": "lab:1700000903.1", "reason": "answered_elsewhere"})
    assert _states(container, "lab:1700000903.1") == {ann: "withdrawn", bob: "withdrawn"}


def test_a_ring_during_a_reload_is_kept_for_the_desk(container, shop, hubs) -> None:
    """ann's tab reloads: no stream is open at the ring, yet the pop is there when the page asks."""
    ann = shop.users["ann"]
    hub = hubs[0]
    hub.disconnect(ann, hub.connect(ann))
    container.bus.publish(CallRingingAgent(pbx="lab", linkedid="1700000904.1", interface="PJSIP/agent1001"))
    _wait(lambda: _states(container, "lab:1700000904.1"))
    assert not hubs[1].wants(ann)  # the other process never had her desk: it stored nothing itself
    with container.session_factory() as s:
        assert [p.key for p in container.pops.open_pops(s, ann)] == [key_of("lab", "1700000904.1")]
