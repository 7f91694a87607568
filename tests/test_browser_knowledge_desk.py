"""The knowledge panel in a real Chromium: the desk's intake form asks as the agent types (and the answer is
on screen within 300 ms of the last keystroke, debounce included), Helpful labels the suggestion, Insert and
Link work on the desk and on the ticket page."""
from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.events import CallRingingAgent
from callcenter.models import LinkKind, Suggestion, Ticket, TicketArticle

from .desk_articles import ARTICLES, seed
from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser
BUDGET_MS = 300  # the figure: from the last keystroke to the new suggestions on screen
# Set up in the page: the time of the description's last input event, and how long after it the panel's
# first card first showed a title holding ``want`` (a MutationObserver on the list).
WATCH = """want => {
  const list = document.querySelector('.kb-hits'), box = document.querySelector('#f-description');
  window.__kb = {t0: 0, ms: null};
  box.addEventListener('input', () => { window.__kb.t0 = performance.now(); window.__kb.ms = null; });
  new MutationObserver(() => {
    const first = list.querySelector('.kb-card .kb-title');
    if (window.__kb.ms === null && first && first.textContent.includes(want))
      window.__kb.ms = performance.now() - window.__kb.t0;
  }).observe(list, {childList: true, subtree: true, characterData: true});
}"""


def _watch_csp(page: Any, seen: list[str]) -> None:
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)


def _ask_and_time(page: Any, question: str, want: str) -> float:
    """Type ``question`` into the description, key by key; the ms from its last keystroke to ``want`` shown."""
    page.evaluate(WATCH, want)
    page.fill("#f-description", "")
    page.type("#f-description", question, delay=25)
    page.wait_for_function("() => window.__kb.ms !== null", timeout=5000)
    return float(page.evaluate("window.__kb.ms"))


def test_the_intake_form_asks_as_the_agent_types(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    ids = seed(live_container)
    with transaction(live_container.session_factory) as s:
        call_id = ensure_call(s, "lab", "1700000700.1", caller_number="+8613800138000", caller_name="WANG",
                              customer_id=shop.customer_id, queue_name="support", ivr={"category": "support"}).id
    page = browser.new_page(locale="en-US")
    blocked: list[str] = []
    _watch_csp(page, blocked)
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    live_container.bus.publish(CallRingingAgent(pbx="lab", linkedid="1700000700.1", interface="PJSIP/agent1001",
                                                caller_number="+8613800138000", queue="support",
                                                ivr={"category": "support", "path": ["1"]}))
    page.wait_for_selector(".intake-form #f-description", timeout=10000)
    # The pop's own look (the customer's open ticket "Router down") is offered and logged once.
    page.wait_for_selector(".kb-panel[data-state=shown] .kb-card", timeout=5000)
    with live_container.session_factory() as s:
        assert s.scalars(select(Suggestion.article_id).where(Suggestion.context == "pop",
                                                             Suggestion.call_id == call_id)).first() == ids["router"]

    # A Chinese question typed into the form: the refund article, its matched words marked.
    page.type("#f-description", "我想申请退款，钱多久能到账？", delay=25)
    page.wait_for_selector(".kb-card .kb-title:has-text('如何申请退款')", timeout=5000)
    cards = page.locator(".kb-card")
    assert 1 <= cards.count() <= 3
    assert "退款" in cards.first.locator(".kb-title mark").all_inner_texts()
    assert "not calibrated yet" in cards.first.inner_text()  # no calibration fitted in this centre yet
    screenshot(page, "kb-desk-refund")

    # Another question: the suggestions follow, within the budget (measured in the page, debounce included).
    times = [_ask_and_time(page, "我要开发票，发到邮箱", ARTICLES["invoice"][0]),
             _ask_and_time(page, "密码忘了，登录不了", ARTICLES["password"][0]),
             _ask_and_time(page, "路由器一直亮红灯", ARTICLES["router"][0])]
    print(f"keystroke to suggestions: {', '.join(f'{t:.0f} ms' for t in times)}")  # noqa: T201 - the figure
    assert max(times) < BUDGET_MS, times
    screenshot(page, "kb-desk-router")

    # Helpful: the suggestion (shown unlogged, as typed) is logged with its question and labelled.
    first = page.locator(".kb-card").first
    first.locator(".kb-yes").click()
    page.wait_for_selector(".kb-card .kb-yes[aria-pressed=true]", timeout=5000)
    with live_container.session_factory() as s:
        row = s.scalars(select(Suggestion).where(Suggestion.helpful.is_not(None))).one()
        assert (row.article_id, row.helpful, row.context) == (ids["router"], True, "form")
        assert row.marked_by_id == shop.users["ann"] and "路由器一直亮红灯" in row.query

    # Insert puts the short answer into the description, at the cursor; Link waits for the ticket.
    page.fill("#f-description", "路由器亮红灯。建议：")
    page.wait_for_selector(".kb-panel[data-state=shown] .kb-card .kb-title:has-text('路由器亮红灯怎么办')")
    page.click("#f-description")
    page.keyboard.press("End")
    first.locator(".kb-insert").click()
    assert page.input_value("#f-description") == "路由器亮红灯。建议：" + ARTICLES["router"][1]
    first.locator(".kb-link").click()
    page.wait_for_selector(".kb-status:has-text('once the ticket is saved')")
    page.fill("#f-subject", "路由器亮红灯")
    page.select_option("#f-product", "broadband")
    page.select_option("#f-priority", "normal")
    page.click(".intake-form button[type=submit]")
    page.wait_for_selector(".submitted:not([hidden])", timeout=5000)
    number = page.inner_text(".submitted .ticket-number").strip()
    # The filed ticket's id reaches the panel: what waited for it (the insert and the link) is noted now.
    def kinds() -> set[LinkKind]:
        with live_container.session_factory() as s:
            return set(s.scalars(select(TicketArticle.kind).join(Ticket, Ticket.id == TicketArticle.ticket_id)
                                 .where(Ticket.number == number, TicketArticle.article_id == ids["router"])))

    deadline = time.monotonic() + 5
    while kinds() != {LinkKind.LINKED, LinkKind.INSERTED} and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert kinds() == {LinkKind.LINKED, LinkKind.INSERTED}
    assert blocked == [], blocked
    page.close()


def test_the_ticket_page_inserts_and_links(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    ids = seed(live_container)
    with transaction(live_container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        ticket.description = "客户说宽带断了，光猫一直亮红灯"
        ticket_id = ticket.id
    page = browser.new_page(locale="en-US")
    blocked: list[str] = []
    _watch_csp(page, blocked)
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/tickets/{shop.ticket_number}")
    page.wait_for_selector(".kb-card .kb-title:has-text('路由器亮红灯怎么办')", timeout=5000)
    assert page.inner_text(".kb-linked") == "No article is linked to this ticket yet."
    router = page.locator(".kb-card", has_text="路由器亮红灯怎么办")
    # Insert: the short answer goes into the (empty) reply box, and the article is noted as inserted.
    router.locator(".kb-insert").click()
    assert page.input_value("#reply-body") == ARTICLES["router"][1]
    page.wait_for_selector(".kb-linked li[data-kind=inserted]", timeout=5000)
    # Link: the linked list shows it, in the agent's language.
    router.locator(".kb-link").click()
    page.wait_for_selector(".kb-linked li[data-kind=linked]:has-text('Linked')", timeout=5000)
    assert "路由器亮红灯怎么办" in page.inner_text(".kb-linked li[data-kind=linked]")
    # The full text, into the note box the agent clicked into.
    page.click("#conversation form textarea[name=body]")
    page.select_option(".kb-insert-what", "body")
    router.locator(".kb-insert").click()
    page.wait_for_function("() => document.querySelector('#conversation form textarea[name=body]').value.length > 0")
    assert "详细步骤见附件" in page.input_value("#conversation form textarea[name=body]")
    screenshot(page, "kb-ticket")
    with live_container.session_factory() as s:
        kinds = set(s.scalars(select(TicketArticle.kind).where(TicketArticle.ticket_id == ticket_id)))
        logged = s.scalars(select(Suggestion).where(Suggestion.ticket_id == ticket_id,
                                                    Suggestion.context == "ticket")).all()
    assert kinds == {LinkKind.LINKED, LinkKind.INSERTED} and logged and logged[0].article_id == ids["router"]
    # The panel's search box asks again as the agent types (not logged).
    page.fill(".kb-search", "发票")
    page.wait_for_selector(".kb-card .kb-title:has-text('如何开发票')", timeout=5000)
    # In Chinese, the panel says everything in Chinese.
    zh = browser.new_page(locale="zh-CN")
    _watch_csp(zh, blocked)
    sign_in(zh, live_server, "sue", PASSWORD)
    zh.goto(f"{live_server}/tickets/{shop.ticket_number}")
    zh.wait_for_selector(".kb-card", timeout=5000)
    text = zh.inner_text(".kb-panel")
    assert "推荐文章" in text and "已关联的文章" in text and "有帮助" in text and "尚未校准" in text
    assert "已插入回复或备注" in text and "Linked" not in text
    screenshot(zh, "kb-ticket-zh")
    assert blocked == [], blocked
    page.close()
    zh.close()
