"""The automation rules editor in Chromium: an error beside its line as the admin types, fixed, saved and
said in words; then the same pages in Chinese."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.automation.rules import STARTER
from callcenter.models import AutomationRule

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def _gutter_bad(page: Any) -> list[int]:
    marked: list[int] = page.eval_on_selector_all(".gutter li.bad", "els => els.map(e => Number(e.textContent))")
    return marked


def test_a_rule_with_an_error_is_fixed_and_saved_then_read_in_chinese(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    page = browser.new_page(locale="en-US", viewport={"width": 1400, "height": 900})
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(f"{m.text} {m.location}") if m.type == "error" else None)
    page.on("response", lambda r: blocked.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("pageerror", lambda e: blocked.append(str(e)))
    sign_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server}/admin/")
    with page.expect_navigation():
        page.click("#card-rules")
    assert page.is_visible("#no-rules")
    with page.expect_navigation():
        page.click("#new-rule")
    assert page.input_value("#definition") == STARTER.rstrip("\n") or page.input_value("#definition") == STARTER
    assert "When a ticket is created" in page.inner_text("#preview")

    # An error: an operator conditions do not have, beside its line.
    broken = STARTER.replace('op = "is"', 'op = "equals"')
    line = broken.split("\n").index('op = "equals"') + 1
    page.fill("#definition", broken)
    page.wait_for_selector(f".gutter li.bad >> text='{line}'")
    assert _gutter_bad(page) == [line]
    assert page.inner_text(f".backdrop div:nth-child({line}) .why").startswith("op")
    assert page.is_disabled("#form-editor button[type=submit]") and f"Line {line}" in page.inner_text("#problems")
    screenshot(page, "rules-editor-error-en")

    # Fixed, and a tag added: the words follow, the rule saves.
    fixed = STARTER.replace('op = "is"', 'op = "in"').replace('value = "return"', 'value = ["return", "refund"]')
    fixed += '\n[[then]]\ndo = "add_tag"\nvalue = "refund"\n'
    page.fill("#definition", fixed)
    page.wait_for_selector("#preview li:has-text('tag the ticket')")
    assert _gutter_bad(page) == [] and page.inner_text("#problems") == ""
    assert "is one of" in page.inner_text("#preview") and page.is_enabled("#form-editor button[type=submit]")
    with page.expect_navigation():
        page.click("#form-editor button[type=submit]")
    assert "Rule saved." in page.inner_text("main")
    with live_container.session_factory() as s:
        [rule] = s.scalars(select(AutomationRule)).all()
        assert rule.definition.replace("\r\n", "\n") == fixed and rule.active
    screenshot(page, "rules-editor-saved-en")

    # The admin's own language: the page, the words and the problems in Chinese.
    page.wait_for_load_state("load")  # the switcher submits itself from app.js
    with page.expect_navigation():
        page.select_option("select[name=lang]", "zh")
    assert "工单创建时" in page.inner_text("#preview") and "规则说明" in page.inner_text("main")
    assert "审批通过后" in page.inner_text("#preview")
    page.fill("#definition", broken)
    page.wait_for_selector(".gutter li.bad")
    assert f"第 {line} 行" in page.inner_text("#problems") or "第" in page.inner_text("#problems")
    screenshot(page, "rules-editor-error-zh")
    page.goto(f"{live_server}/admin/rules")
    assert "自动化规则" in page.inner_text("h1") and page.is_visible("#no-runs")
    screenshot(page, "rules-list-zh")
    assert blocked == [], blocked
    page.close()


def test_a_supervisor_rejects_in_the_queue_and_the_assignees_desk_hears_of_it(browser, live_server,
                                                                               live_container) -> None:
    """A return ticket of ann's waits for approval; sue rejects it with a reason on /approvals/; ann's open desk
    says so at once, with the ticket; the ticket's note and the audit log keep the reason."""
    from callcenter.access.audit import Actor
    from callcenter.db import transaction
    from callcenter.models import AuditLog, Ticket, TicketNote, User

    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    with transaction(live_container.session_factory) as s:
        ada = s.get(User, shop.users["ada"])
        assert ada is not None
        live_container.rules.save(s, Actor.of(ada), STARTER)
    with transaction(live_container.session_factory) as s:
        ticket = live_container.tickets.create(s, Actor.system("desk"), subject="退货：尺码不对", category="return",
                                               assignee_id=shop.users["ann"])
        number = ticket.number
    assert live_container.service("automation").engine.run_once(live_container.session_factory)
    desk = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 900})
    sign_in(desk, live_server, "ann", PASSWORD)
    desk.goto(f"{live_server}/desk/")
    desk.wait_for_selector("#link-state.on")
    queue = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}).new_page()
    sign_in(queue, live_server, "sue", PASSWORD)
    queue.goto(f"{live_server}/approvals/")
    card = queue.locator("section.approval").filter(has_text=number)
    assert "A refund goes to the ERP only when a supervisor agrees." in card.inner_text()
    with queue.expect_navigation():
        card.locator("button[value=reject]").click()
    assert queue.locator("section.approval [role=alert]").count() == 1  # a rejection needs a reason
    card = queue.locator("section.approval").filter(has_text=number)
    card.locator("textarea[name=comment]").fill("客户已超过退货期限")
    with queue.expect_navigation():
        card.locator("button[value=reject]").click()
    assert queue.is_visible("#no-approvals")
    screenshot(queue, "approvals-decided-en")
    desk.wait_for_selector("#notices .notice.bad")
    said = desk.inner_text("#notices")
    assert "sue" in said and "驳回" in said and number in said
    assert desk.get_attribute("#notices a", "href").endswith(f"/tickets/{number}")
    screenshot(desk, "desk-approval-rejected-zh")
    with transaction(live_container.session_factory) as s:
        row = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        notes = s.scalars(select(TicketNote).where(TicketNote.ticket_id == row.id, TicketNote.internal.is_(True)))
        assert any("客户已超过退货期限" in n.body for n in notes)
        audited = s.scalars(select(AuditLog).where(AuditLog.action == "approval_rejected")).one()
        assert audited.detail["comment"] == "客户已超过退货期限"
    desk.close()
    queue.close()
