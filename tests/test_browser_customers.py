"""Merging two customers in Chromium: a supervisor finds the WeChat record of a caller from the caller's page,
sees what will move, confirms, and then finds the caller's WeChat and e-mail contacts on her phone ticket."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from callcenter.channels.base import Inbound, Sender
from callcenter.db import transaction
from callcenter.models import AuditLog, Channel, Customer, Ticket
from tests.deskdata import PASSWORD, T0, build
from tests.support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser
OPENID = "oWx1-Fang_2026abc"


def _arrive(container, inbound: Inbound, queue_of: str) -> tuple[int, str]:
    """A message through the real intake; its ticket is put in the queue of the ticket ``queue_of``."""
    with transaction(container.session_factory) as s:
        got = container.channel_intake.receive(s, inbound)
        got.ticket.queue_id = s.scalars(select(Ticket.queue_id).where(Ticket.number == queue_of)).one()
        assert got.ticket.customer_id is not None and got.ticket.number is not None
        return got.ticket.customer_id, got.ticket.number


def test_a_supervisor_merges_two_customers_and_sees_the_history_on_the_ticket(browser, live_server,
                                                                              live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    wechat_id, wechat_ticket = _arrive(live_container, Inbound(
        channel=Channel.WECHAT, channel_key="wx-1", sender=Sender("wechat", OPENID, "Fang", verified=True),
        body="路由器还是红灯", received_at=T0 + dt.timedelta(hours=2)), shop.ticket_number)
    mail_id, mail_ticket = _arrive(live_container, Inbound(
        channel=Channel.EMAIL, channel_key="<m1@example.com>", sender=Sender("email", "fang@example.com", "Fang"),
        subject="Invoice", body="Two charges?", received_at=T0 + dt.timedelta(hours=1)), shop.ticket_number)
    page = browser.new_page(locale="en-US")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, live_server, "sue", PASSWORD)

    # Before: the phone ticket knows only her call.
    page.goto(f"{live_server}/tickets/{shop.ticket_number}")
    assert page.locator("#history-contacts li").count() == 1
    assert page.locator("#history-contacts li").first.get_attribute("data-channel") == "phone"

    for other_id, query in ((wechat_id, OPENID), (mail_id, "fang@example.com")):
        page.click("#customer-history h2 a")  # the customer's page
        page.click("#merge-link")
        page.fill("input[name=q]", query)
        page.click("form.filters button[type=submit]")
        page.click(f"#merge-candidates a[href*='other={other_id}']")
        assert page.inner_text("#moves-tickets") == "1" and page.inner_text("#moves-messages") == "1"
        assert page.inner_text("#moves-identifiers") == "1"
        with page.expect_navigation():
            page.click("#merge-confirm")
        assert "merged into this one" in page.inner_text(".flash")
        assert query in page.inner_text("#identifiers")
        page.goto(f"{live_server}/tickets/{shop.ticket_number}")

    contacts = page.locator("#history-contacts li")
    assert [contacts.nth(i).get_attribute("data-channel") for i in range(contacts.count())] == [
        "wechat", "email", "phone"]
    assert f"Ticket {wechat_ticket}" in contacts.nth(0).inner_text()
    assert f"Ticket {mail_ticket}" in contacts.nth(1).inner_text()
    with page.expect_navigation():
        contacts.nth(0).locator("a").click()
    assert page.url.endswith(f"/tickets/{wechat_ticket}")
    screenshot(page, "customer-merged-history")
    with live_container.session_factory() as s:
        assert s.get(Customer, wechat_id) is None and s.get(Customer, mail_id) is None
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "customers_merged")) == 2
    assert problems == []
    page.close()
