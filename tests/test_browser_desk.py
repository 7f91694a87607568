"""The desk in a real browser: a ring pops the form, the agent files a ticket, a supervisor sees it."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.events import CallAnswered, CallRingingAgent
from callcenter.models import Ticket

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def _watch_csp(page: Any, seen: list[str]) -> None:
    """Chromium logs each thing the Content-Security-Policy blocked: ``seen`` should stay empty."""
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)


def test_pop_form_ticket_in_chromium(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    with transaction(live_container.session_factory) as s:
        call = ensure_call(s, "lab", "1700000500.1", caller_number="+8613800138000", caller_name="WANG",
                           customer_id=shop.customer_id, queue_name="support", ivr={"category": "support"})
        call_id = call.id
    page = browser.new_page(locale="en-US")
    blocked: list[str] = []
    _watch_csp(page, blocked)
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    live_container.bus.publish(CallRingingAgent(
        pbx="lab", linkedid="1700000500.1", interface="PJSIP/agent1001",
        caller_number="+8613800138000", queue="support", wait_seconds=42,
        ivr={"category": "support", "path": ["1"]}))
    page.wait_for_selector("#pop:not([hidden])", timeout=5000)
    assert "+86 138 0013 8000" in page.inner_text("#pop-number")
    assert "王芳" in page.inner_text("#pop-name") and page.inner_text("#pop-vip") == "Gold VIP"
    assert page.inner_text("#pop-ivr") == "Menu: 1 · Technical support"  # words, not "category: support"
    page.wait_for_selector(".intake-form #f-subject")
    assert page.input_value("#f-contact_number") == "+8613800138000"  # pre-filled from the call
    screenshot(page, "desk-pop")
    page.fill("#f-subject", "Fibre box shows red light")
    page.select_option("#f-product", "broadband")
    page.fill("#f-description", "Since this morning; rebooted twice.")
    page.wait_for_selector(".draft-state:has-text('Draft saved')", timeout=5000)
    page.select_option("#f-priority", "high")
    page.click(".intake-form button[type=submit]")
    page.wait_for_selector(".submitted:not([hidden])", timeout=5000)
    number = page.inner_text(".submitted .ticket-number").strip()
    screenshot(page, "desk-ticket-number")
    with live_container.session_factory() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.origin_call_id == call_id and ticket.priority.value == "high"
    # The supervisor of ann's team sees it, with the call's story.
    boss = browser.new_page(locale="zh-CN")
    _watch_csp(boss, blocked)
    sign_in(boss, live_server, "sue", PASSWORD)
    boss.goto(f"{live_server}/tickets/?q={number}")
    boss.click(f"text={number}")
    boss.wait_for_selector("text=Fibre box shows red light")
    assert "工单" in boss.inner_text("h1")  # the supervisor's browser asked for Chinese
    screenshot(boss, "ticket-detail-zh")
    boss.goto(f"{live_server}/reports/")
    boss.wait_for_load_state("networkidle")
    assert blocked == [], blocked  # the pages still work under the strict CSP
    page.close()
    boss.close()


def test_withdrawn_pop_goes_and_queued_pop_follows(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    page = browser.new_page()
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    for n, number in ((1, "+12025550101"), (2, "+12025550102")):
        live_container.bus.publish(CallRingingAgent(pbx="lab", linkedid=f"1700000600.{n}",
                                                    interface="PJSIP/agent1001", caller_number=number))
    page.wait_for_selector("#pop-queue-count:not([hidden])", timeout=5000)
    assert "202-555-0101" in page.inner_text("#pop-number")
    live_container.bus.publish(CallAnswered(pbx="lab", linkedid="1700000600.1", interface="PJSIP/agent1002"))
    page.wait_for_selector("#pop-number:has-text('0102')", timeout=5000)
    assert page.is_hidden("#pop-queue-count")
