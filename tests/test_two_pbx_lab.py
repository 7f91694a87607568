"""Two real Asterisks at once: the lab and its second instance "b" (SIP 5160, AMI 5138, CC_PBX = b), from the
same chroot.  One AMI bridge follows both; real SIPp calls go into each; a callback goes back out through the
PBX its call came in on; kill -9 of one leaves the calls on the other alone."""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter import migrations
from callcenter.access.accounts import create_user
from callcenter.access.dialling import DiallingPolicy
from callcenter.ami.bridge import AMIService
from callcenter.config import Settings
from callcenter.db import make_engine, make_session_factory, transaction
from callcenter.dispatch.service import DispatcherService
from callcenter.events import CallRingingAgent
from callcenter.models import Call, CallbackStatus, CallStatus, utcnow
from callcenter.pbx.lab import LabPBX
from callcenter.wiring import Container
from tests.support import services
from tests.support.lab_fixtures import follow_lab
from tests.support.sipp import Agent, Caller, customer, require_tool
from tests.support.waiting import wait_for
from tests.test_dispatch_lab import wait_status
from tests.test_lab_pbx import no_agi_server  # noqa: F401 - the dialplan falls back to `support`

pytestmark = pytest.mark.pbx
LAB_AGENT, B_AGENT = "PJSIP/agent1001", "PJSIP/agent1002"  # SIPp phones on 5091 and 5092
B_SIP = "127.0.0.1:5160"


@contextlib.contextmanager
def only(lab: LabPBX, agent: str) -> Iterator[None]:
    """This PBX's support queue rings ``agent`` alone meanwhile (each PBX has its own phone in the test)."""
    others = [a for a in (LAB_AGENT, B_AGENT) if a != agent]
    for member in others:
        lab.rx(f"queue pause member {member} queue support reason test")
    try:
        yield
    finally:
        for member in others if lab.is_running() else ():  # a PBX the test killed comes back unpaused
            lab.rx(f"queue unpause member {member} queue support")


def follow_both(container: Container, lab: LabPBX) -> AMIService:
    follow_lab(container, lab)
    container.settings.lab.instances = ["b"]
    settings = container.settings.model_copy(update={
        "ami": container.settings.ami.model_copy(update={"backoff_base": 0.2, "backoff_cap": 2.0})})
    pbxes = settings.pbxes()
    assert [(p.name, p.port) for p in pbxes] == [("lab", 5038), ("b", 5138)]
    service = AMIService(settings, container.session_factory, container.bus, pbxes=pbxes)
    service.start()
    wait_for(service.connected, 30, "the bridge logged in to both PBXs")
    return service


def answered(bridge: AMIService) -> set[str]:
    """The PBXs with an answered call up now, as the bridge follows them."""
    return {name for name, b in bridge.bridges.items() if any(c.answered_at for c in b.accumulator.calls.values())}


def calls_since(container: Container, since: float) -> list[Call]:
    with container.session_factory() as s:
        return [c for c in s.scalars(select(Call)).all() if c.started_at.timestamp() >= since - 1]


def agents(container: Container) -> dict[str, int]:
    with transaction(container.session_factory) as s:
        return {iface: create_user(s, iface.split("/")[1], "agent", "a-long-password-1",
                                   sip_interface=iface)[0].id for iface in (LAB_AGENT, B_AGENT)}


def b_caller(tmp_path: Path, caller_id: str) -> Caller:
    return Caller(tmp_path / "b", "100", caller_id=caller_id, port=5072, media_port=16100, pbx=B_SIP)


@pytest.mark.timeout(240)
def test_a_call_into_each_pbx_is_its_own_record_and_pops_that_pbxs_agent(
        lab_pbx, lab_pbx_b, container, tmp_path, no_agi_server) -> None:  # noqa: F811 - the fixture imported above
    require_tool("sipp")
    users = agents(container)
    rung: list[CallRingingAgent] = []
    container.bus.subscribe(CallRingingAgent, lambda message: rung.append(message.event))
    bridge = follow_both(container, lab_pbx)
    started = time.time()
    (tmp_path / "b").mkdir()
    try:
        with only(lab_pbx, LAB_AGENT), only(lab_pbx_b, B_AGENT), \
                Agent(tmp_path, 1001, talk_ms=2500) as lab_phone, Agent(tmp_path / "b", 1002, talk_ms=2500) as b_phone:
            lab_call = Caller(tmp_path, "100", caller_id="15551230011")
            other = b_caller(tmp_path, "15551230022")
            lab_call.start()
            other.start()
            results = lab_call.wait(60), other.wait(60), lab_phone.wait(30), b_phone.wait(30)
        assert all(r.ok for r in results), [str(r) for r in results]
        wait_for(lambda: len([c for c in calls_since(container, started) if c.status is not CallStatus.ACTIVE]) >= 2,
                 30, "both calls written")
    finally:
        bridge.stop()
    calls = {c.pbx: c for c in calls_since(container, started)}
    assert set(calls) == {"lab", "b"}, "one record per call, each with the PBX it came in on"
    assert (calls["lab"].caller_number or "").endswith("15551230011")
    assert (calls["b"].caller_number or "").endswith("15551230022")
    assert calls["b"].linkedid.startswith("b-") and not calls["lab"].linkedid.startswith("b-")
    assert calls["lab"].agent_id == users[LAB_AGENT] and calls["b"].agent_id == users[B_AGENT]
    assert all(c.disposition is not None and c.disposition.value == "answered" for c in calls.values())
    pops = {(e.pbx, e.agent_id) for e in rung}
    assert ("lab", users[LAB_AGENT]) in pops and ("b", users[B_AGENT]) in pops, pops
    assert ("lab", users[B_AGENT]) not in pops and ("b", users[LAB_AGENT]) not in pops


@pytest.mark.timeout(240)
def test_a_callback_goes_out_through_the_pbx_its_call_came_in_on(
        lab_pbx, lab_pbx_b, container, tmp_path) -> None:
    require_tool("sipp")
    bridge = follow_both(container, lab_pbx)
    settings = Settings(instance_dir=tmp_path / "instance", database={"url": f"sqlite:///{tmp_path / 'd.db'}"},
                        lab={"dir": lab_pbx.dir, "instances": ["b"]},
                        dispatch={"callbacks": {"mode": "customer_first", "calling_hours": "",
                                                "customer_ring_seconds": 15},
                                  "scheduler": {"reconcile_seconds": 1, "leader_poll_seconds": 0.2}})
    engine = make_engine(settings.database)
    migrations.upgrade(engine)
    factory = make_session_factory(engine)
    callbacks = services.callbacks(settings.dispatch.callbacks, "US", dialling=DiallingPolicy.from_settings(settings))
    dispatcher = DispatcherService(settings, engine, factory, None, callbacks)
    with transaction(factory) as s:  # a call that came in on b, and the callback its caller asked for
        call = Call(pbx="b", linkedid="b-1700000000.1", caller_number="+15551230042", status=CallStatus.COMPLETE,
                    started_at=utcnow())
        s.add(call)
        s.flush()
        cid = callbacks.request(s, "+15551230042", source="ivr", call_id=call.id).id
    started = time.time()
    try:
        with customer(tmp_path, talk_ms=2000, hangs_up=True) as phone:
            dispatcher.start()
            try:
                cb = wait_status(factory, cid, 60, done=(CallbackStatus.REACHED, CallbackStatus.FAILED))
            finally:
                dispatcher.stop()
            assert cb.status is CallbackStatus.REACHED, cb.outcome_detail
            assert phone.wait(30).ok
        wait_for(lambda: any(c.pbx == "b" for c in calls_since(container, started)), 30,
                 "the callback's call recorded from b")
    finally:
        bridge.stop()
        engine.dispose()
    assert {c.pbx for c in calls_since(container, started)} == {"b"}, "placed through b, not the lab"


@pytest.mark.timeout(300)
def test_kill_9_of_one_pbx_leaves_the_calls_on_the_other_alone(
        lab_pbx, lab_pbx_b, container, tmp_path, no_agi_server) -> None:  # noqa: F811 - the fixture imported above
    require_tool("sipp")
    agents(container)
    bridge = follow_both(container, lab_pbx)
    started = time.time()
    (tmp_path / "b").mkdir()
    try:
        with only(lab_pbx, LAB_AGENT), only(lab_pbx_b, B_AGENT), \
                Agent(tmp_path, 1001, talk_ms=9000) as lab_phone, \
                Agent(tmp_path / "b", 1002, talk_ms=60000) as b_phone:  # b dies long before it hangs up
            lab_call = Caller(tmp_path, "100", caller_id="15551230033")
            other = b_caller(tmp_path, "15551230044")
            lab_call.start()
            other.start()
            try:
                wait_for(lambda: answered(bridge) == {"lab", "b"}, 60, "both calls answered")
            except AssertionError:
                raise AssertionError(f"answered on {answered(bridge)}; up: "
                                     f"{ {n: list(b.accumulator.calls) for n, b in bridge.bridges.items()} }; "
                                     f"phones: {[str(p.wait(0.1)) for p in (lab_call, other, lab_phone, b_phone)]}; "
                                     f"lab queue: {lab_pbx.rx('queue show support')}; "
                                     f"b queue: {lab_pbx_b.rx('queue show support')}") from None
            os.kill(lab_pbx_b.pid(), 9)
            lab_result, lab_agent = lab_call.wait(60), lab_phone.wait(30)
            other.stop()
            b_phone.stop()
        assert lab_result.ok and lab_agent.ok, "the lab's call ran to its end as if nothing happened"
        wait_for(lambda: any(c.pbx == "lab" and c.status is CallStatus.COMPLETE
                             for c in calls_since(container, started)), 30, "the lab's call written while b is down")
        lab_pbx_b.up(progress=lambda _m: None)  # b back: the bridge closes what it lost with b
        wait_for(lambda: any(c.pbx == "b" and c.status is CallStatus.INTERRUPTED
                             for c in calls_since(container, started)), 60, "b's call closed after b came back")
    finally:
        bridge.stop()
        if not lab_pbx_b.is_running():
            lab_pbx_b.up(progress=lambda _m: None)
    calls = {c.pbx: c for c in calls_since(container, started)}
    assert set(calls) == {"lab", "b"}
    assert calls["lab"].status is CallStatus.COMPLETE and calls["lab"].disposition is not None \
        and calls["lab"].disposition.value == "answered"
    assert calls["b"].status is CallStatus.INTERRUPTED, "b's call is closed as cut off, not left open"
