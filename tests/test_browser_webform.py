"""The public contact form in Chromium, as an anonymous visitor: in Chinese with a file, a robot caught by
the honeypot, and the rate limit's page."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.models import Message, MessageDirection, Ticket
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def _open(browser: Any, base: str, problems: list[str]) -> Any:
    page = browser.new_page(locale="en-US", viewport={"width": 390, "height": 844})  # a phone's screen
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/contact")
    return page


def _fill(page: Any, email: str, description: str = "我的路由器从早上开始一直闪红灯，无法上网。") -> None:
    page.select_option("#category", "technical")
    page.fill("#name", "李娜")
    page.fill("#email", email)
    page.fill("#description", description)


def _tickets(container: Any) -> int:
    with container.session_factory() as s:
        return s.scalar(select(func.count()).select_from(Ticket)) or 0


def test_a_visitor_writes_in_chinese_with_a_file_and_gets_a_ticket(browser, live_server, live_container) -> None:
    problems: list[str] = []
    page = _open(browser, live_server, problems)
    with page.expect_navigation():
        page.select_option("select[name=lang]", "zh")  # the language switch, as an anonymous visitor
    assert page.inner_text("h1") == "给我们留言"
    _fill(page, "li.na@example.com")
    page.set_input_files("#attachments", files=[{"name": "路由器.png", "mimeType": "image/png", "buffer": PNG}])
    with page.expect_navigation():
        page.click("form.contact-form button[type=submit]")
    thanks = page.locator("#thanks")
    assert "谢谢，我们已收到您的留言" in thanks.inner_text() and "确认邮件正在发送给您" in thanks.inner_text()
    number = page.inner_text(".ticket-number").strip()
    screenshot(page, "webform-thanks-zh")
    with live_container.session_factory() as s:
        ticket = s.scalars(select(Ticket)).one()
        assert (ticket.number, ticket.source, ticket.category, ticket.language) == (number, "web", "technical", "zh")
        inbound, ack = s.scalars(select(Message).order_by(Message.id)).all()
        assert inbound.direction == MessageDirection.INBOUND
        assert inbound.body == "我的路由器从早上开始一直闪红灯，无法上网。"
        (attachment,) = inbound.attachments
        assert attachment.filename == "路由器.png" and attachment.refused is None
        kept = live_container.conversations.store.file_for(attachment)
        assert kept is not None and kept.read_bytes() == PNG
        assert ack.subject == f"我们已收到您的留言 [{number}]" and ack.recipient == "li.na@example.com"
    assert problems == []
    page.close()


def test_a_filled_honeypot_makes_no_ticket(browser, live_server, live_container) -> None:
    problems: list[str] = []
    page = _open(browser, live_server, problems)
    box = page.locator("#website").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0  # drawn off the screen: no person sees it
    _fill(page, "bot@example.com", "Cheap watches, visit our site now!")
    page.evaluate("document.querySelector('#website').value = 'http://spam.example'")  # as a robot does
    with page.expect_navigation():
        page.click("form.contact-form button[type=submit]")
    assert page.locator("#thanks").count() == 1 and page.locator(".ticket-number").count() == 0
    assert _tickets(live_container) == 0
    assert problems == []
    page.close()


def test_the_rate_limit_shows_its_page_after_n_submissions(browser, live_server, live_container) -> None:
    live_container.settings.channels.webform.per_address_per_hour = 2
    problems: list[str] = []
    page = _open(browser, live_server, problems)
    for i in range(3):
        page.goto(f"{live_server}/contact")
        _fill(page, f"visitor{i}@example.com")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.click("form.contact-form button[type=submit]")
        page.wait_for_load_state()
        if i < 2:
            assert answer.value.status == 200 and page.locator("#thanks").count() == 1
    assert answer.value.status == 429
    assert "Too many messages from your address" in page.inner_text("#limited")
    screenshot(page, "webform-limited")
    assert _tickets(live_container) == 2
    page.close()
