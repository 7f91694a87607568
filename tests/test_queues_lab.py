"""Queues defined here, on the real lab Asterisk with SIPp: the AMI service writes queues_callcenter.conf and
reloads app_queue (dynamic members survive); a call to a queue's number is answered by that queue's member
and, recording off, leaves no recording; a closed queue offers a callback instead of a wait."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from callcenter import migrations
from callcenter.access.audit import Actor
from callcenter.ami.control import PBXControl
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.dispatch.calendar import DAYS
from callcenter.models import Call, Callback, Queue, utcnow
from callcenter.pbx.lab import LabPBX
from callcenter.queues import asterisk, status
from callcenter.wiring import Container
from tests.support.agi_peer import running_server
from tests.support.lab_fixtures import follow_lab
from tests.support.sipp import Agent, Caller, require_tool
from tests.support.waiting import wait_for

pytestmark = pytest.mark.pbx
ADMIN = Actor.system("cli:test")
ALWAYS = dict.fromkeys(DAYS, "24h")
MEMBER = "PJSIP/agent1004"  # SIPp on 5094; in no queue of ours until the test adds it


@pytest.fixture
def lab(lab_pbx: LabPBX, tmp_path: Path) -> Iterator[tuple[Container, PBXControl]]:
    """A fresh database, our IVR on 4573, the AMI service (it writes and reloads the queues) on the lab."""
    require_tool("sipp")
    settings = Settings(instance_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'q.db'}"},
                        agi={"port": 4573}, ivr={"digit_timeout": 3.0, "survey_offer": False})
    container = Container(settings)
    follow_lab(container, lab_pbx)
    migrations.upgrade(container.engine)
    conf = lab_pbx.path("/etc/asterisk") / asterisk.CONF_NAME
    bridge = container.ami()
    control = container.controls.get("lab")
    try:
        with running_server(settings, container.session_factory, port=4573):
            bridge.start()
            wait_for(lambda: bridge.connected() and control.connected(), 30, "the AMI bridge and control link")
            yield container, control
    finally:
        if bridge.alive():
            bridge.stop()
        asterisk.write(conf, asterisk.render([]))  # leave the lab without our test queues
        control.act(lambda a: a.queue_reload())
        container.close()


def has_queue(control: PBXControl, name: str) -> bool:
    return any(q.get("Queue") == name for q in control.act(lambda a: a.queue_summary()))


def members(lab: LabPBX, name: str) -> str:
    return lab.rx(f"queue show {name}")


def define(c: Container, name: str, **settings: Any) -> None:
    with transaction(c.session_factory) as s:
        c.queues.create(s, ADMIN, name, **settings)


def test_a_queue_defined_here_reaches_asterisk_and_reloads_keep_members(lab: Any, lab_pbx: LabPBX) -> None:
    container, control = lab
    def discovered() -> bool:  # the bridge's resync turned queues.conf's queues into rows by itself
        with container.session_factory() as s:
            return set(s.scalars(select(Queue.name).where(Queue.managed.is_(False)))) >= {
                "support", "sales", "billing", "webdesk"}
    wait_for(discovered, 20, "queues.conf's queues as rows")
    define(container, "qlab", display_name="Lab queue", service_level_seconds=30)
    wait_for(lambda: has_queue(control, "qlab"), 20, "Asterisk to load qlab")
    known = status.known(container.controls, ["lab"])["lab"]  # what the queues page shows
    assert known is not None and {"qlab", "support", "webdesk"} <= known
    with transaction(container.session_factory) as s:  # a queue row gone: "Find Asterisk's queues" brings it back
        s.execute(delete(Queue).where(Queue.name == "soak"))
    assert status.sync(container.session_factory, container.controls, ["lab"], ADMIN).added == ["soak"]
    assert control.act(lambda a: a.queue_add("qlab", MEMBER, "Agent 1004"))
    with transaction(container.session_factory) as s:
        container.queues.edit(s, ADMIN, "qlab", service_level_seconds=45)
    wait_for(lambda: "within 45s" in members(lab_pbx, "qlab"), 20, "the reload with servicelevel 45")
    assert "agent1004" in members(lab_pbx, "qlab")  # the dynamic member survived the reload
    with transaction(container.session_factory) as s:
        container.queues.retire(s, ADMIN, "qlab")
    wait_for(lambda: not has_queue(control, "qlab"), 20, "Asterisk to drop the retired qlab")


def test_a_call_to_a_queue_number_reaches_its_member_and_is_not_recorded(lab: Any, lab_pbx: LabPBX,
                                                                         tmp_path: Path) -> None:
    container, control = lab
    define(container, "qdid", did="5550177", recording=False, business_hours=ALWAYS)
    wait_for(lambda: has_queue(control, "qdid"), 20, "Asterisk to load qdid")
    control.act(lambda a: a.queue_add("qdid", MEMBER, "Agent 1004"))
    before = set(lab_pbx.recordings_dir.iterdir())
    with Agent(tmp_path / "agent", 1004, talk_ms=2000) as agent:
        result = Caller(tmp_path / "caller", "5550177", caller_id="15551230077").run(60)
        assert result.ok, str(result)
        wait_for(agent.answered, 10, "agent1004 to have answered")

    def final() -> Call | None:
        with container.session_factory() as s:
            call = s.scalar(select(Call).where(Call.did == "5550177"))
            return call if call is not None and call.ended_at is not None else None
    call = wait_for(final, 30, "the call's final record")
    assert (call.queue_name, call.agents_rung, call.ivr.get("direct")) == ("qdid", [MEMBER], True)
    assert call.answered_at is not None
    assert [p.name for p in set(lab_pbx.recordings_dir.iterdir()) - before if call.linkedid in p.name] == []


def test_a_closed_queue_offers_a_callback_instead_of_a_wait(lab: Any, lab_pbx: LabPBX, tmp_path: Path) -> None:
    container, control = lab
    opening = DAYS[(utcnow().weekday() + 3) % 7]  # open on another day only: closed now
    define(container, "qshut", did="5550178", business_hours={opening: "09:00-10:00"})
    wait_for(lambda: has_queue(control, "qshut"), 20, "Asterisk to load qshut")
    control.act(lambda a: a.queue_add("qshut", MEMBER, "Agent 1004"))  # an agent there would ring: none must
    # "1" (call me back on this number) during the callback offer: after the 5.4 s closed message, within
    # the 5.9 s offer (the lab's espeak prompts); then the PBX thanks the caller and hangs up.
    caller = Caller(tmp_path / "caller", "5550178", caller_id="15551230078", dtmf=[(7500, "1")])
    assert caller.run(60).ok

    def booked() -> Callback | None:
        with container.session_factory() as s:
            found: Callback | None = s.scalar(select(Callback).where(Callback.number == "+15551230078"))
            return found
    callback = wait_for(booked, 20, "the callback")
    with container.session_factory() as s:
        call = s.scalar(select(Call).where(Call.id == callback.call_id))
        assert call is not None and call.ivr.get("closed") is True
        assert (call.queue_name, call.queued_at, call.agents_rung) == ("qshut", None, [])  # never queued
        assert callback.queue_id == s.scalar(select(Queue.id).where(Queue.name == "qshut"))
    assert DAYS[callback.due_at.weekday()] == opening  # due when the queue opens
