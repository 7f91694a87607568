"""Click-to-call on the real lab: Chromium clicks the ticket's button, SIPp plays both phones.

The agent ann's desk phone (PJSIP/agent1001, SIPp on 5091) rings first,
then the customer (SIPp on 5099).  The double click and an AMI link that
drops right after the Originate left must still ring the customer once.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.callcontrol.errors import CallControlError
from callcenter.db import transaction
from callcenter.models import (
    AgentProfile,
    AuditLog,
    Call,
    Callback,
    CallbackSource,
    CallbackStatus,
    ClickCall,
    ClickStatus,
    CustomerPhone,
    Ticket,
    User,
    utcnow,
)
from tests.support.lab_fixtures import follow_lab
from tests.support.waiting import wait_for as _wait

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in
from .support.rows import row
from .support.sipp import Agent, customer, require_tool

pytestmark = [pytest.mark.pbx, pytest.mark.browser]
NUMBER = "+15551230077"      # the lab's customer endpoint answers the +1 555 123 range
PREMIUM = "+19005550123"     # a US premium-rate number: the dialling policy refuses it




def _drop_link_after_originate(control) -> list[str]:
    """The fault: the control link closes right after an Originate is written, before its reply."""
    conn, dropped = control.conn, list[str]()
    real = conn.send

    async def send(action: dict[str, Any], as_list: bool | None = None, timeout: float | None = None) -> Any:
        if action.get("Action") != "Originate" or dropped:
            return await real(action, as_list, timeout)
        dropped.append(action["ActionID"])
        reply = asyncio.ensure_future(real(action, as_list, timeout))
        await asyncio.sleep(0)  # the action is on the wire
        conn.close_link()
        return await reply
    conn.send = send
    return dropped


def _invites(phone: Agent) -> int:
    """INVITEs the customer's SIPp received (its message trace)."""
    log = phone.workdir / "messages.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if line.startswith("INVITE sip:"))


@pytest.fixture
def lab_desk(lab_pbx, live_container, tmp_path: Path):
    """The shop on a container that follows the real lab, with its bridge running."""
    require_tool("sipp")
    follow_lab(live_container, lab_pbx)
    shop = build(live_container.session_factory, tmp_path / "unused")
    with transaction(live_container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        s.add_all([CustomerPhone(customer_id=shop.customer_id, number=NUMBER, label="office"),
                   CustomerPhone(customer_id=shop.customer_id, number=PREMIUM, label="hotline")])
        ticket_id = ticket.id
    bridge = live_container.ami()
    bridge.start()
    control = live_container.controls.get("lab")
    try:
        _wait(lambda: bridge.connected() and control.connected(), 30, "the AMI bridge and control link")
        yield shop, ticket_id, control
    finally:
        bridge.stop()


def _ticket_page(browser, live_server: str, number: str):
    page = browser.new_page()
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/tickets/{number}")
    return page


@pytest.mark.timeout(180)
def test_double_click_with_a_reconnect_rings_the_customer_once(lab_desk, browser, live_server, live_container,
                                                                 tmp_path: Path) -> None:
    shop, ticket_id, control = lab_desk
    sessions_before = control.conn.sessions
    dropped = _drop_link_after_originate(control)
    page = _ticket_page(browser, live_server, shop.ticket_number)
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r) if r.url.endswith("/desk/dial") else None)
    phone = customer(tmp_path / "customer")
    phone.args[phone.args.index("-m") + 1] = "3"  # it would answer a second call too, and we would count it
    phone.args += ["-trace_msg", "-message_file", "messages.log"]
    with Agent(tmp_path / "agent", 1001, talk_ms=4000) as agent, phone:
        button = page.locator(f'.dial-button[data-number="{NUMBER}"]')
        button.dblclick()
        for _ in range(150):  # Playwright delivers responses while the page waits, not while we sleep
            if len(responses) == 2:
                break
            page.wait_for_timeout(200)
        answers = [r.json() for r in responses]
        assert len(answers) == 2, answers
        page.locator('.dial-status[data-state="dialling"]').wait_for(timeout=10000)
        screenshot(page, "click-to-call-ringing")
        assert agent.wait(40).ok, "the agent's phone did not take the call"
        with live_container.session_factory() as s:
            click = s.scalars(select(ClickCall)).one()
            linkedid = "cc-" + click.originate_key
        _wait(lambda: _final(live_container, linkedid), 30, "the call record to be final")
    assert dropped, "the fault was not injected"
    assert control.conn.sessions > sessions_before, "the control link did not reconnect"
    assert {a["click_id"] for a in answers} == {click.id} and sorted(a["again"] for a in answers) == [False, True]
    assert _invites(phone) == 1, "the customer's phone must ring exactly once"
    with live_container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ClickCall)) == 1
        click = s.scalars(select(ClickCall)).one()
        assert click.status is ClickStatus.DIALLING and click.phone == "PJSIP/agent1001"
        # Every call to the customer's number (the bridge also stores other tests' calls on the shared lab).
        calls = s.scalars(select(Call).where(Call.caller_number == NUMBER)).all()
        assert len(calls) == 1 and calls[0].id == click.call_id
        call = calls[0]
        assert call.ticket_id == ticket_id and call.direction.value == "outbound"
        assert call.agent_id == shop.users["ann"] and call.caller_number == NUMBER
        assert call.disposition.value == "answered" and call.status.value == "complete"
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "click_to_call")).all()
        assert sorted(r.outcome for r in rows) == ["ok", "same_call"]
    page.goto(f"{live_server}/tickets/{shop.ticket_number}")
    call_entry = page.locator("#conversation li.kind-call")  # the call is on the ticket's one timeline,
    assert call_entry.count() == 1 and call_entry.locator(".call-steps li").count() >= 2  # with its steps


def _final(container, linkedid: str) -> bool:
    with container.session_factory() as s:
        call = s.scalar(select(Call).where(Call.linkedid == linkedid))
        return call is not None and call.status.value == "complete"


@pytest.mark.timeout(120)
def test_premium_number_is_refused_audited_and_never_dialled(lab_desk, browser, live_server, live_container) -> None:
    shop, _, _ = lab_desk
    page = _ticket_page(browser, live_server, shop.ticket_number)
    page.locator(f'.dial-button[data-number="{PREMIUM}"]').click()
    status = page.locator('.dial-status[data-state="refused"]')
    status.wait_for(timeout=10000)
    assert "dialling policy" in status.inner_text()
    with live_container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ClickCall)) == 0
        assert s.scalar(select(func.count()).select_from(Call).where(Call.caller_number == PREMIUM)) == 0
        refusal = s.scalars(select(AuditLog).where(AuditLog.action == "dial_refused")).one()
        assert refusal.actor_id == shop.users["ann"] and refusal.object_id == PREMIUM
        assert refusal.detail["purpose"] == "click_to_call" and refusal.detail["reason"] == "number_type"


@pytest.mark.timeout(60)
def test_unregistered_softphone_is_a_clear_error(lab_desk, live_container) -> None:
    """An agent with only a browser phone that is not registered: nothing is dialled."""
    shop, ticket_id, _ = lab_desk
    with transaction(live_container.session_factory) as s:
        bob = row(s, User, shop.users["bob"])
        profile = s.scalars(select(AgentProfile).where(AgentProfile.user_id == bob.id)).one()
        profile.sip_interface, profile.extension = None, "1010"
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        ticket.assignee_id = bob.id
        s.flush()
        s.expunge(bob)
    with pytest.raises(CallControlError) as refused:
        live_container.click_to_call.place(Actor.of(bob), "b0b0b0b0b0b0", NUMBER, ticket_id=ticket_id)
    assert refused.value.code == "phone_unregistered"
    with live_container.session_factory() as s:
        click = s.scalars(select(ClickCall)).one()
        assert click.status is ClickStatus.FAILED and click.live_slot is None and click.sent_at is None
        assert click.detail == "phone_unregistered"


@pytest.mark.timeout(120)
def test_dialling_a_callback_takes_it_from_the_dispatcher(lab_desk, browser, live_server, live_container,
                                                          tmp_path: Path) -> None:
    shop, ticket_id, _ = lab_desk
    with transaction(live_container.session_factory) as s:
        callback = Callback(number=NUMBER, source=CallbackSource.IVR, ticket_id=ticket_id,
                            customer_id=shop.customer_id, due_at=utcnow() + dt.timedelta(hours=1))
        s.add(callback)
        s.flush()
        callback_id = callback.id
    page = _ticket_page(browser, live_server, shop.ticket_number)
    with Agent(tmp_path / "agent", 1001, talk_ms=2000) as agent, customer(tmp_path / "customer") as phone:
        page.locator(f'.dial-button[data-callback="{callback_id}"]').click()
        page.locator('.dial-status[data-state="dialling"]').wait_for(timeout=15000)
        assert agent.wait(40).ok and phone.wait(30).ok
    with live_container.session_factory() as s:
        taken = row(s, Callback, callback_id)
        assert taken.status is CallbackStatus.CANCELLED and "from the desk" in (taken.outcome_detail or "")
        click = s.scalars(select(ClickCall)).one()
        assert click.callback_id == callback_id and click.ticket_id == ticket_id
        taker = s.scalars(select(AuditLog).where(AuditLog.action == "callback_taken")).one()
        assert taker.actor_id == shop.users["ann"]
