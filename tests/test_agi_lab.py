"""The IVR end to end: real SIPp calls with RFC 4733 DTMF into the lab
Asterisk, whose dialplan reaches our FastAGI server on 127.0.0.1:4573."""
from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter import migrations
from callcenter.access.audit import Actor
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import (
    Call,
    Callback,
    CallbackSource,
    CallbackStatus,
    Customer,
    CustomerPhone,
    Survey,
    SurveyStatus,
)
from callcenter.pbx.lab import LabPBX
from callcenter.wiring import Container
from tests.support.agi_peer import running_server, settled, wait_until
from tests.support.ivr_data import VIP_NUMBER, World, seed
from tests.support.sipp import Agent, Caller, require_tool

pytestmark = pytest.mark.pbx

SHARED_MEMBER = "PJSIP/agent1002"  # in every queue; paused so the test knows who answers


@pytest.fixture
def ivr(lab_pbx: LabPBX, tmp_path: Path) -> Iterator[tuple[Container, World, LabPBX, Any]]:
    """Our AGI server on the port the lab dialplan calls, on a fresh database."""
    require_tool("sipp")
    capture = os.environ.get("CC_TEST_AGI_CAPTURE") or str(tmp_path / "captures")
    settings = Settings(instance_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'ivr.db'}"},
                        lab={"enabled": False}, agi={"port": 4573, "capture_dir": capture},
                        ivr={"digit_timeout": 3.0})
    container = Container(settings)
    migrations.upgrade(container.engine)
    world = seed(container.session_factory)
    try:
        with running_server(settings, container.session_factory, port=4573, segments=container.segments) as server:
            yield container, world, lab_pbx, server
    finally:
        container.close()


def queue_callers(lab: LabPBX, queue: str) -> list[tuple[str, str]]:
    """Callers waiting in a queue, in order, as Asterisk's CLI lists them: (channel, priority)."""
    out = lab.rx(f"queue show {queue}")
    callers = out.split("Callers:", 1)[1] if "Callers:" in out else ""
    return re.findall(r"^\s+\d+\.\s+(\S+)\s+\(wait: [^,]+, prio: (\d+)\)", callers, re.M)


@contextlib.contextmanager
def paused(lab: LabPBX, queue: str, *members: str) -> Iterator[None]:
    """Nobody (or only the agent the test runs) answers ``queue`` meanwhile."""
    for member in members:
        lab.rx(f"queue pause member {member} queue {queue} reason test")
    try:
        yield
    finally:
        for member in members:
            lab.rx(f"queue unpause member {member} queue {queue}")


def second_caller(caller: Caller) -> Caller:
    """Caller binds 5070/16000; a second simultaneous one needs other ports."""
    args = caller.args
    args[args.index("-p") + 1] = "5072"
    args[args.index("-mp") + 1] = "16100"
    return caller


def calls(container: Container, server: Any) -> list[Call]:
    settled(server)  # the IVR stores some facts just after the caller moved on
    with transaction(container.session_factory) as s:
        return list(s.scalars(select(Call).order_by(Call.id)))


def test_a_known_customer_is_recognised_and_jumps_the_queue(ivr: Any, tmp_path: Path) -> None:
    container, world, lab, server = ivr
    container.settings.ivr.survey_offer = False
    with paused(lab, "support", "PJSIP/agent1001", SHARED_MEMBER):
        plain = Caller(tmp_path / "plain", "100", caller_id="15551230001", dtmf=[(1500, "1")],
                       hangup_after_ms=14000)
        vip = second_caller(Caller(tmp_path / "vip", "100", caller_id="2025550143",
                                   dtmf=[(1500, "1")], hangup_after_ms=6000))
        plain._start(plain.args)
        assert wait_until(lambda: len(queue_callers(lab, "support")) == 1, 20)
        vip._start(vip.args)
        assert wait_until(lambda: len(queue_callers(lab, "support")) == 2, 20)
        waiting = queue_callers(lab, "support")
        assert [prio for _, prio in waiting] == ["5", "0"], waiting  # the VIP is first in line
        assert vip.wait(30).ok and plain.wait(30).ok
    rows = {c.caller_number: c for c in calls(container, server)}
    assert rows[VIP_NUMBER].customer_id == world.vip_id and rows[VIP_NUMBER].queue_name == "support"
    assert rows["+15551230001"].customer_id is None


TAGGED_NUMBER = "+15551230002"
VIP_BY_TAG = '''name = "A complaint makes the caller a VIP"
when = "ticket_created"
[[if]]
field = "ticket.category"
value = "complaint"
[[then]]
do = "tag_customer"
value = "VIP"
days = 30
'''


def test_a_vip_tag_set_by_a_rule_makes_the_next_call_jump_the_queue(ivr: Any, tmp_path: Path) -> None:
    container, _, lab, server = ivr
    container.settings.ivr.survey_offer = False
    admin = Actor.system("test")
    with transaction(container.session_factory) as s:
        customer = Customer(name="Ada Byron", phones=[CustomerPhone(number=TAGGED_NUMBER)])
        s.add(customer)
        container.segments.save(s, admin, {"name": "VIP by tag", "tags_all": "VIP", "queue_priority": "7"})
        container.rules.save(s, admin, VIP_BY_TAG)
    with transaction(container.session_factory) as s:
        container.tickets.create(s, admin, subject="wrong parcel", category="complaint", customer_id=customer.id)
    automation = container.service("automation")
    assert automation.engine.run_once(container.session_factory)
    with paused(lab, "support", "PJSIP/agent1001", SHARED_MEMBER):
        plain = Caller(tmp_path / "plain", "100", caller_id="15551230001", dtmf=[(1500, "1")],
                       hangup_after_ms=14000)
        tagged = second_caller(Caller(tmp_path / "tagged", "100", caller_id="15551230002",
                                      dtmf=[(1500, "1")], hangup_after_ms=6000))
        plain._start(plain.args)
        assert wait_until(lambda: len(queue_callers(lab, "support")) == 1, 20)
        tagged._start(tagged.args)
        assert wait_until(lambda: len(queue_callers(lab, "support")) == 2, 20)
        waiting = queue_callers(lab, "support")
        assert [prio for _, prio in waiting] == ["7", "0"], waiting  # the tagged caller is first in line
        assert tagged.wait(30).ok and plain.wait(30).ok
    rows = {c.caller_number: c for c in calls(container, server)}
    assert rows[TAGGED_NUMBER].customer_id == customer.id
    assert rows[TAGGED_NUMBER].ivr["queue_priority"] == 7 and rows[TAGGED_NUMBER].ivr["segments"] == ["VIP by tag"]
    assert rows["+15551230001"].ivr["queue_priority"] == 0


@pytest.mark.parametrize("digit,queue", [("1", "support"), ("2", "sales"), ("3", "billing")])
def test_each_menu_choice_reaches_its_queue(ivr: Any, tmp_path: Path, digit: str, queue: str) -> None:
    container, _, lab, server = ivr
    container.settings.ivr.survey_offer = False
    members = {"support": "PJSIP/agent1001", "sales": "PJSIP/agent1003", "billing": "PJSIP/agent1004"}
    with paused(lab, queue, members[queue], SHARED_MEMBER):
        caller = Caller(tmp_path, "100", dtmf=[(1500, digit)], hangup_after_ms=9000)
        caller._start(caller.args)
        assert wait_until(lambda: len(queue_callers(lab, queue)) == 1, 20), lab.rx(f"queue show {queue}")
        assert caller.wait(30).ok
    [row] = calls(container, server)
    assert (row.queue_name, row.ivr["category"], row.ivr["keys"]) == (queue, queue, [digit])


def test_pressing_9_in_the_queue_books_a_callback_and_leaves(ivr: Any, tmp_path: Path) -> None:
    container, world, lab, server = ivr
    container.settings.ivr.survey_offer = False
    with paused(lab, "support", "PJSIP/agent1001", SHARED_MEMBER):
        # "1" in the menu, "9" while waiting, "1" = call me back on this number.
        caller = Caller(tmp_path, "100", caller_id="2025550143",
                        dtmf=[(1500, "1"), (4000, "9"), (2500, "1")])
        result = caller.run(timeout=60)  # waits for the PBX to hang up
        assert result.ok, str(result)
        assert queue_callers(lab, "support") == []
    [row] = calls(container, server)
    with transaction(container.session_factory) as s:
        [cb] = s.scalars(select(Callback))
        assert (cb.number, cb.source, cb.status) == (VIP_NUMBER, CallbackSource.IVR, CallbackStatus.PENDING)
        assert (cb.call_id, cb.customer_id) == (row.id, world.vip_id)


def test_a_survey_keyed_as_4_is_stored_against_the_call_and_agent(ivr: Any, tmp_path: Path) -> None:
    container, world, lab, server = ivr
    with paused(lab, "support", SHARED_MEMBER):
        # "1" support, "1" yes to the survey, then "4" once the agent has hung up.
        caller = Caller(tmp_path, "100", caller_id="2025550143",
                        dtmf=[(1500, "1"), (2500, "1"), (9000, "4")])
        with Agent(tmp_path, 1001, talk_ms=3000):
            result = caller.run(timeout=60)
        assert result.ok, str(result)
    [row] = calls(container, server)
    with transaction(container.session_factory) as s:
        [survey] = s.scalars(select(Survey))
        assert (survey.score, survey.status) == (4, SurveyStatus.COMPLETED)
        assert (survey.call_id, survey.agent_id) == (row.id, world.agent_id)

