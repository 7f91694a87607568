"""Transfers on the real lab: a SIPp caller on DID 101 (queue webdesk) reaches ann (agent1001),
who moves the call to bob (agent1002) from her desk in Chromium; bob's desk pops with the ticket."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.db import transaction
from callcenter.models import AuditLog, Call, CallLeg, LegKind, Ticket
from callcenter.wiring import Container
from tests.support.lab_fixtures import follow_lab
from tests.support.waiting import wait_for as _wait

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in
from .support.rows import row
from .support.sipp import Agent, Caller, require_tool

pytestmark = [pytest.mark.pbx, pytest.mark.browser]
CALLER = "+15551230010"




@pytest.fixture
def lab_desk(lab_pbx, live_container, tmp_path: Path):
    require_tool("sipp")
    follow_lab(live_container, lab_pbx)
    shop = build(live_container.session_factory, tmp_path / "unused")
    bridge = live_container.ami()
    bridge.start()
    control = live_container.controls.get("lab")
    try:
        _wait(lambda: bridge.connected() and control.connected(), 30, "the AMI bridge and control link")
        # The lab is shared: a caller another test left waiting in webdesk would reach ann before ours.
        _wait(lambda: _waiting(bridge, "webdesk") == 0, 150, "webdesk to have nobody waiting")
        # Only ann answers webdesk (DID 101): the desk signs her in to the queue.
        control.act(lambda a: a.queue_add("webdesk", "PJSIP/agent1001", "ann"))
        yield shop, control
    finally:
        control.act(lambda a: a.queue_remove("webdesk", "PJSIP/agent1001"))
        bridge.stop()


def _caller(workdir: Path, control, request: pytest.FixtureRequest) -> Caller:
    """A caller on its own SIP and RTP ports (a stray SIPp on the default 5070 cannot take its replies).

    If the test fails mid-call, its channel is hung up too: a SIPp killed without a BYE would
    otherwise leave its caller waiting in webdesk for the next test's agent.
    """
    caller = Caller(workdir, "101", caller_id=CALLER)
    caller.args[caller.args.index("-p") + 1] = "5077"
    caller.args[caller.args.index("-mp") + 1] = "16400"

    def hang_up() -> None:
        caller.stop()
        for c in control.act(lambda a: a.channels()):
            if c.get("CallerIDNum", "").lstrip("+") == CALLER.lstrip("+"):
                control.act(lambda a, name=c["Channel"]: a.hangup(name))
    request.addfinalizer(hang_up)
    return caller


def _waiting(bridge, queue: str) -> int:
    return sum(q["waiting"] for pbx in bridge.snapshot() for q in pbx["queues"] if q["queue"] == queue)


def _desk(browser, live_server: str, who: str):
    page = browser.new_page()
    sign_in(page, live_server, who, PASSWORD)
    page.goto(f"{live_server}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    return page


def _bridged(control, interface: str, with_caller: bool = True) -> dict[str, str] | None:
    """The phone's channel in a bridge, talking to our caller (not some other test's)."""
    channels = control.act(lambda a: a.channels())
    return next((c for c in channels if c["Channel"].startswith(interface + "-") and c.get("BridgeId")
                 and (not with_caller or CALLER.lstrip("+") in c.get("ConnectedLineNum", ""))), None)


def _call_of(container: Container, linkedid: str) -> Call | None:
    with container.session_factory() as s:
        return s.scalar(select(Call).where(Call.linkedid == linkedid))


def _link_ticket(container, linkedid: str, number: str) -> int:
    """What ann's intake did for this call: the call has her ticket."""
    _wait(lambda: _call_of(container, linkedid), 10, "the call row")
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        s.scalars(select(Call).where(Call.linkedid == linkedid)).one().ticket_id = ticket.id
        return ticket.id


def _check_record(container, shop, linkedid: str, ticket_id: int) -> None:
    _wait(lambda: (c := _call_of(container, linkedid)) is not None and c.status.value == "complete", 30,
          "the call record to be final")
    with container.session_factory() as s:
        call = s.scalars(select(Call).where(Call.linkedid == linkedid)).one()
        # Bob's leg belongs to the caller's one call record, not to a call of its own.
        bobs = s.scalars(select(CallLeg.call_id).where(CallLeg.agent_id == shop.users["bob"])).all()
        assert set(bobs) == {call.id}, bobs
        assert call.ticket_id == ticket_id and call.transferred_at is not None
        assert call.agent_id == shop.users["ann"] and call.disposition.value == "answered"
        agents = set(s.scalars(select(CallLeg.agent_id).where(CallLeg.call_id == call.id, CallLeg.kind == LegKind.AGENT,
                                                              CallLeg.answered_at.is_not(None))))
        assert agents == {shop.users["ann"], shop.users["bob"]}, "one call record with both agents"
        assert row(s, Ticket, ticket_id).assignee_id == shop.users["bob"], "the ticket follows the call"
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "call_transfer")) == 1


def _pop_carries_ticket(bob, number: str) -> None:
    bob.wait_for_selector("#pop:not([hidden])", timeout=20000)
    bob.wait_for_selector(f"#pop-ticket:has-text('{number}')", timeout=5000)


@pytest.mark.timeout(180)
def test_blind_transfer_to_a_colleague(lab_desk, browser, live_server, live_container, tmp_path: Path,
                                       request: pytest.FixtureRequest) -> None:
    shop, control = lab_desk
    ann, bob = _desk(browser, live_server, "ann"), _desk(browser, live_server, "bob")
    with Agent(tmp_path / "a1", 1001, hangs_up=False) as agent1, Agent(tmp_path / "a2", 1002,
                                                                        talk_ms=3000) as agent2:
        caller = _caller(tmp_path / "c", control, request)
        caller.start()
        mine = _wait(lambda: _bridged(control, "PJSIP/agent1001"), 30, "ann on the call", ann)
        ticket_id = _link_ticket(live_container, mine["Linkedid"], shop.ticket_number)
        ann.select_option("#transfer-agent", str(shop.users["bob"]))
        ann.click("#transfer-blind")
        ann.wait_for_selector('#transfer-status[data-state="blind"]', timeout=10000)
        _pop_carries_ticket(bob, shop.ticket_number)
        screenshot(bob, "transfer-blind-pop")
        assert caller.wait(60).ok
        assert agent2.wait(30).ok and agent1.wait(20).ok
    _check_record(live_container, shop, mine["Linkedid"], ticket_id)


@pytest.mark.timeout(180)
def test_attended_transfer_consults_then_completes(lab_desk, browser, live_server, live_container,
                                                   tmp_path: Path, request: pytest.FixtureRequest) -> None:
    shop, control = lab_desk
    ann, bob = _desk(browser, live_server, "ann"), _desk(browser, live_server, "bob")
    with Agent(tmp_path / "a1", 1001, hangs_up=False) as agent1, Agent(tmp_path / "a2", 1002,
                                                                        talk_ms=8000) as agent2:
        caller = _caller(tmp_path / "c", control, request)
        caller.start()
        mine = _wait(lambda: _bridged(control, "PJSIP/agent1001"), 30, "ann on the call", ann)
        ticket_id = _link_ticket(live_container, mine["Linkedid"], shop.ticket_number)
        ann.select_option("#transfer-agent", str(shop.users["bob"]))
        ann.click("#transfer-consult")
        ann.wait_for_selector('#transfer-status[data-state="attended"]', timeout=10000)
        _pop_carries_ticket(bob, shop.ticket_number)
        _wait(lambda: _bridged(control, "PJSIP/agent1002", with_caller=False), 30, "bob to answer", ann)
        ann.click("#transfer-complete")
        ann.wait_for_selector('#transfer-status[data-state="complete"]', timeout=10000)
        screenshot(ann, "transfer-attended-complete")
        assert caller.wait(60).ok
        assert agent2.wait(30).ok and agent1.wait(20).ok
    _check_record(live_container, shop, mine["Linkedid"], ticket_id)


@pytest.mark.timeout(180)
def test_cancelled_consultation_returns_to_the_caller(lab_desk, browser, live_server, live_container,
                                                      tmp_path: Path, request: pytest.FixtureRequest) -> None:
    shop, control = lab_desk
    ann = _desk(browser, live_server, "ann")
    with Agent(tmp_path / "a1", 1001, hangs_up=False) as agent1, Agent(tmp_path / "a2", 1002,
                                                                        hangs_up=False) as agent2:
        caller = _caller(tmp_path / "c", control, request)
        caller.start()
        mine = _wait(lambda: _bridged(control, "PJSIP/agent1001"), 30, "ann on the call", ann)
        ann.select_option("#transfer-agent", str(shop.users["bob"]))
        ann.click("#transfer-consult")
        ann.wait_for_selector('#transfer-status[data-state="attended"]', timeout=10000)
        _wait(lambda: _bridged(control, "PJSIP/agent1002", with_caller=False), 30, "bob to answer", ann)
        ann.click("#transfer-cancel")
        ann.wait_for_selector('#transfer-status[data-state="cancel"]', timeout=10000)
        assert agent2.wait(30).ok, "bob's consultation leg was not hung up"
        back = _wait(lambda: _bridged(control, "PJSIP/agent1001"), 20, "ann back with the caller", ann)
        assert back["Channel"] == mine["Channel"]
        control.act(lambda a: a.hangup(back["Channel"]))
        assert caller.wait(30).ok and agent1.wait(20).ok
    with live_container.session_factory() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        assert ticket.assignee_id == shop.users["ann"]  # nothing was handed over
        modes = s.scalars(select(AuditLog.action).where(AuditLog.action.like("call_transfer%"))
                          .order_by(AuditLog.id)).all()
        assert modes == ["call_transfer", "call_transfer_cancel"]
