"""End to end: a real SIPp call rings an agent's phone in the lab; the pop appears in Chromium;
the agent files the ticket; it is linked to the call; a supervisor sees it."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Call, Ticket, User
from tests.support.lab_fixtures import follow_lab
from tests.support.waiting import wait_for as _wait

from .deskdata import PASSWORD, build
from .support.browser import file_ticket, screenshot, sign_in
from .support.rows import row
from .support.sipp import Agent, Caller, require_tool

pytestmark = [pytest.mark.pbx, pytest.mark.browser]




def test_real_call_pops_and_becomes_a_ticket(lab_pbx, browser, live_server, live_container,
                                             tmp_path: Path) -> None:
    require_tool("sipp")
    # This container follows the real lab PBX (its AMI secret lives in the lab's config).
    follow_lab(live_container, lab_pbx)
    shop = build(live_container.session_factory, tmp_path / "unused")
    with transaction(live_container.session_factory) as s:
        row(s, User, shop.users["bob"]).team_id = row(s, User, shop.users["ann"]).team_id
    bridge = live_container.ami()
    bridge.start()
    try:
        _wait(lambda: bridge.connected(), 30, "the AMI bridge to connect")
        pages = {}
        for name in ("ann", "bob"):  # the support queue rings agent1001 or agent1002
            page = browser.new_page()
            sign_in(page, live_server, name, PASSWORD)
            page.goto(f"{live_server}/desk/")
            page.wait_for_selector("#link-state.on", timeout=10000)
            pages[name] = page
        with Agent(tmp_path / "a1", 1001, talk_ms=6000), Agent(tmp_path / "a2", 1002, talk_ms=6000):
            caller = Caller(tmp_path / "c", "100", caller_id="+8613800138000")
            caller.start()
            who = _wait(lambda: next((n for n, p in pages.items() if p.is_visible("#pop")), None), 40,
                        "a pop on either desk")
            page = pages[who]
            assert "138 0013 8000" in page.inner_text("#pop-number")
            assert "王芳" in page.inner_text("#pop-name")
            page.wait_for_selector(".intake-form #f-subject", timeout=10000)
            screenshot(page, "lab-call-pop")
            number = file_ticket(page, "Line is noisy", "Crackling on every call since the storm.", "normal",
                                 "broadband")
            screenshot(page, "lab-call-ticket")
            result = caller.wait(60)
            assert result.ok, f"the SIPp call did not complete: {result}"
        with live_container.session_factory() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.number == number))
            call = _wait(lambda: s.get(Call, ticket.origin_call_id) if s.expire_all() is None and
                         s.get(Call, ticket.origin_call_id).ended_at else None, 30, "the call record to be final")
            assert call.pbx == "lab" and call.caller_number == "+8613800138000"
            assert call.agent_id == shop.users[who] and call.ticket_id == ticket.id
            assert call.disposition.value == "answered"
        boss = browser.new_page()
        sign_in(boss, live_server, "sue", PASSWORD)
        boss.goto(f"{live_server}/review/")
        boss.click(f"text={number}")
        boss.wait_for_selector("text=Crackling on every call since the storm.")
        screenshot(boss, "lab-call-supervisor")
    finally:
        bridge.stop()
