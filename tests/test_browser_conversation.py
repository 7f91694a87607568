"""The ticket's one timeline in Chromium: an internal note marked and set apart from the public reply."""
from __future__ import annotations

import pytest

from tests.deskdata import PASSWORD, add_conversation, build
from tests.support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_timeline_in_a_browser(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    add_conversation(live_container, shop.ticket_number)
    page = browser.new_page(locale="en-US")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/tickets/{shop.ticket_number}")
    note = page.locator(".conv-entry.internal.note")
    assert note.count() == 1
    assert note.locator(".badge.internal").inner_text().strip().lower() == "internal"
    assert "Engineer booked for 14:00." in note.inner_text()
    reply = page.locator(".conv-entry.public.outbound")
    assert reply.count() == 1 and "An engineer calls today." in reply.inner_text()
    assert reply.locator(".badge.internal").count() == 0
    # The mark stands out: the internal entry is drawn apart from the public ones.
    border = note.evaluate("e => getComputedStyle(e).borderLeftStyle")
    assert border == "dashed" and reply.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"
    assert page.locator(".conv-entry.kind-call audio").count() == 1
    # A new note from the page joins the timeline, marked internal.
    page.fill("#conversation textarea[name=body]", "Parts ordered.")
    with page.expect_navigation():
        page.click("#conversation form button[type=submit]")
    assert "Parts ordered." in page.locator(".conv-entry.internal.note").last.inner_text()
    screenshot(page, "ticket-conversation")
    assert problems == []
    page.close()
