"""The desk without dead ends, in Chromium: a pop survives a reload and shows in a second tab, "no ticket
needed" with a reason, three queued pops handled in order with "Next caller", the caller-ID name in "create
customer".  The bridge's events are published on the container's bus, as the AMI bridge would."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access import accounts
from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.events import CallAnswered, CallEnded, CallRingingAgent
from callcenter.models import Call, DeskPop, PopState, Queue, Ticket

from .deskdata import PASSWORD, build
from .support.browser import file_ticket, screenshot, sign_in

pytestmark = pytest.mark.browser


def _ring(container: Any, linkedid: str, number: str, **extra: Any) -> None:
    container.bus.publish(CallRingingAgent(pbx="lab", linkedid=linkedid, interface="PJSIP/agent1001",
                                           caller_number=number, queue="support", **extra))


def _talk_then_hang_up(container: Any, linkedid: str) -> None:
    container.bus.publish(CallAnswered(pbx="lab", linkedid=linkedid, interface="PJSIP/agent1001"))
    container.bus.publish(CallEnded(pbx="lab", linkedid=linkedid))


def _desk(page: Any, base: str) -> Any:
    page.goto(f"{base}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    return page


def _blocked(page: Any) -> list[str]:
    """What the Content-Security-Policy blocked on this page (should stay empty)."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    return seen


def _no_ticket(page: Any, reason: str, note: str = "") -> None:
    if not page.is_visible(".no-ticket-form select[name=reason]"):
        page.click(".no-ticket-panel summary")
    page.select_option(".no-ticket-form select[name=reason]", reason)
    if note:
        page.fill(".no-ticket-form input[name=note]", note)
    page.click(".no-ticket-form button[type=submit]")
    page.wait_for_selector(".submitted:not([hidden])", timeout=5000)


def test_a_pop_survives_a_reload_and_shows_in_a_second_tab(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    context = browser.new_context(locale="en-US")
    first = context.new_page()
    blocked = _blocked(first)
    sign_in(first, live_server, "ann", PASSWORD)
    _desk(first, live_server)
    _ring(live_container, "1700002000.1", "+12025550101")
    first.wait_for_selector("#pop-number:has-text('202-555-0101')", timeout=5000)
    first.reload()
    _desk(first, live_server).wait_for_selector("#pop-number:has-text('202-555-0101')", timeout=5000)
    second = _desk(context.new_page(), live_server)
    second.wait_for_selector("#pop-number:has-text('202-555-0101')", timeout=5000)
    screenshot(second, "desk-lifecycle-second-tab-en")
    _talk_then_hang_up(live_container, "1700002000.1")
    for page in (first, second):
        page.wait_for_selector("#pop-state:has-text('Caller hung up')", timeout=5000)
    _no_ticket(first, "silent_call")
    second.wait_for_selector("#idle:not([hidden])", timeout=5000)  # handled in one tab: gone from the other
    assert second.is_hidden("#pop") and blocked == []
    context.close()


def test_no_ticket_needed_with_a_reason_after_the_caller_hung_up(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    with transaction(live_container.session_factory) as s:
        accounts.set_language(s, shop.users["ann"], "zh")
    page = browser.new_page(locale="zh-CN")
    blocked = _blocked(page)
    sign_in(page, live_server, "ann", PASSWORD)
    with transaction(live_container.session_factory) as s:  # 王芳 calls again (the bridge knows her number)
        ensure_call(s, "lab", "1700002300.1", caller_number="+8613800138000", customer_id=shop.customer_id,
                    queue_name="support")
        support = s.scalars(select(Queue).where(Queue.name == "support")).one()
        support.display_name, support.display_name_zh = "Support line", "支持热线"
    _desk(page, live_server)
    _ring(live_container, "1700002300.1", "+8613800138000", wait_seconds=42,
          ivr={"keys": ["1"], "category": "support", "language": "zh"})
    page.wait_for_selector(".intake-form #f-subject", timeout=5000)
    assert page.inner_text("#pop-vip") == "金卡VIP"
    assert page.inner_text("#pop-ivr") == "菜单：1 · 技术支持\n语言：简体中文"
    assert page.inner_text("#pop-meta") == "支持热线 · 等待 42 秒"
    assert "2026年11月23日 09:00 · 支持热线 · 已接听" in page.inner_text("#pop-history")
    _talk_then_hang_up(live_container, "1700002300.1")
    page.wait_for_selector("#pop-state:has-text('来电人已挂断')", timeout=5000)
    # The caller is gone, yet every way on is there: a ticket, an existing ticket, or none needed.
    for way in (".intake-form button[type=submit]", ".attach-panel summary", ".no-ticket-panel summary"):
        assert page.is_visible(way), way
    screenshot(page, "desk-lifecycle-hung-up-zh")
    page.click(".no-ticket-panel summary")
    page.select_option(".no-ticket-form select[name=reason]", "wrong_number")
    screenshot(page, "desk-lifecycle-no-ticket-zh")
    _no_ticket(page, "wrong_number", "想找披萨店")
    assert page.inner_text(".submitted .ticket-number") == "打错电话"
    assert page.inner_text("#pop-next") == "返回等待"
    assert page.evaluate("document.activeElement.id") == "pop-next"  # on to the next caller from the keyboard
    screenshot(page, "desk-lifecycle-no-ticket-done-zh")
    with live_container.session_factory() as s:
        call = s.scalars(select(Call).where(Call.linkedid == "1700002300.1")).one()
        assert (call.no_ticket_reason, call.no_ticket_note) == ("wrong_number", "想找披萨店")
    page.keyboard.press("Enter")
    page.wait_for_selector("#idle:not([hidden])", timeout=5000)
    assert blocked == []
    page.close()


def test_three_queued_pops_are_handled_in_order_with_next_caller(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    page = browser.new_page(locale="en-US")
    blocked = _blocked(page)
    sign_in(page, live_server, "ann", PASSWORD)
    _desk(page, live_server)
    numbers = ["+12025550111", "+12025550112", "+12025550113"]
    for n, number in enumerate(numbers, 1):
        _ring(live_container, f"1700002100.{n}", number, caller_name=f"Caller {n}")
    page.wait_for_selector("#pop-queue-count:has-text('2 more waiting')", timeout=5000)
    assert "202-555-0111" in page.inner_text("#pop-number")
    assert [b.inner_text() for b in page.query_selector_all("#pop-list .pop-pick")] == [
        "+1 202-555-0112 · Caller 2 · Ringing", "+1 202-555-0113 · Caller 3 · Ringing"]
    screenshot(page, "desk-lifecycle-queue-en")
    # A look at the third caller and back: the queue keeps its order.
    page.click("#pop-list .pop-pick >> nth=1")
    page.wait_for_selector("#pop-number:has-text('0113')")
    page.click("#pop-list .pop-pick >> nth=0")
    page.wait_for_selector("#pop-number:has-text('0111')")
    for n in range(1, 4):
        _talk_then_hang_up(live_container, f"1700002100.{n}")
    page.wait_for_selector("#pop-state:has-text('Caller hung up')", timeout=5000)
    # 1: no ticket needed.
    _no_ticket(page, "test_call")
    assert page.inner_text("#pop-next") == "Next caller (2 waiting)"
    page.click("#pop-next")
    # 2: attached to the customer's ticket, found by its number.
    page.wait_for_selector("#pop-number:has-text('0112')")
    page.click(".attach-panel summary")
    page.fill(".attach-search input[name=q]", shop.ticket_number)
    page.click(".attach-search button[type=submit]")
    page.click(".attach-results .attach-pick")
    page.wait_for_selector(".submitted:not([hidden])", timeout=5000)
    assert page.inner_text(".submitted .ticket-number") == shop.ticket_number
    screenshot(page, "desk-lifecycle-attached-en")
    page.focus("#pop-next")
    page.keyboard.press("Enter")  # the keyboard way on
    # 3: a new ticket.
    page.wait_for_selector("#pop-number:has-text('0113')")
    filed = file_ticket(page, "Wants a faster line", "Asked about fibre.", "low", "broadband")
    assert page.inner_text("#pop-next") == "Back to waiting"
    page.click("#pop-next")
    page.wait_for_selector("#idle:not([hidden])")
    with live_container.session_factory() as s:
        pops = {p.key: (p.state, p.outcome) for p in s.scalars(select(DeskPop))}
        assert pops == {"lab:1700002100.1": (PopState.HANDLED, "no_ticket"),
                        "lab:1700002100.2": (PopState.HANDLED, "attached"),
                        "lab:1700002100.3": (PopState.HANDLED, "ticket")}
        assert s.scalars(select(Ticket).where(Ticket.number == filed)).one().subject == "Wants a faster line"
    page.reload()
    _desk(page, live_server)
    assert page.is_hidden("#pop") and blocked == []  # nothing left after a reload either
    page.close()


def test_the_caller_id_name_starts_the_new_customer(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    page = browser.new_page(locale="en-US")
    sign_in(page, live_server, "ann", PASSWORD)
    _desk(page, live_server)
    with transaction(live_container.session_factory) as s:  # the IVR stored the caller's (lack of) choice
        ensure_call(s, "lab", "1700002200.1", caller_number="+12025550120", caller_name="Li Lei",
                    queue_name="support", ivr={"category": "general", "timed_out": True})
    _ring(live_container, "1700002200.1", "+12025550120", caller_name="Li Lei", ivr={"category": "general"})
    page.wait_for_selector(".customer-form input[name=name]", timeout=5000)
    assert page.input_value(".customer-form input[name=name]") == "Li Lei"
    assert page.input_value("#f-subject") == ""  # the general form no longer starts with "general"
    screenshot(page, "desk-lifecycle-new-customer-en")
    page.click(".customer-form button[type=submit]")
    page.wait_for_selector("#f-contact_name[value='Li Lei']", timeout=5000)  # the new customer's name
    page.close()
