"""Replying from the ticket page in Chromium: pick a template, see it filled in for this customer, watch the
SMS counter as Chinese is typed, send, and find the queued reply in the ticket's timeline."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import Channel, DeliveryState, Message, User
from tests.deskdata import PASSWORD, build
from tests.support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_an_agent_replies_by_sms_with_a_template(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    templates = live_container.templates
    with transaction(live_container.session_factory) as s:
        sue = Actor.of(s.scalars(select(User).where(User.username == "sue")).one())
        greeting = templates.create(s, sue, name="Greeting")
        templates.save_variant(s, greeting, sue, channel="sms", language="zh",
                               body="{{ customer.name }}您好，工单{{ ticket.number }}已收到。")
    page = browser.new_page(locale="en-US")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/tickets/{shop.ticket_number}")
    # The customer has only a phone: SMS is chosen, to their number, and the counter is shown.
    assert page.input_value("#reply-channel") == "sms"
    assert page.inner_text("#reply-to") == "+8613800138000"
    counter = page.locator("#reply-counter")
    assert counter.is_visible() and counter.inner_text() == "0 of 160 characters · 0 SMS · GSM 7-bit"
    page.select_option("#reply-template", label="Greeting")
    filled = f"王芳您好，工单{shop.ticket_number}已收到。"
    page.wait_for_function("text => document.getElementById('reply-body').value === text", arg=filled)
    assert counter.inner_text() == f"{len(filled)} of 70 characters · 1 SMS · Unicode"
    body = page.locator("#reply-body")
    body.press("End")
    body.press_sequentially("工程师将于明天上午十点上门检修路由器，请保持电话畅通。")
    typed = page.input_value("#reply-body")
    assert typed.endswith("请保持电话畅通。") and len(typed) == len(filled) + 27
    assert counter.inner_text() == f"{len(typed)} of 70 characters · 1 SMS · Unicode"
    body.press_sequentially("谢谢" * 15)  # past 70 units: two SMS
    assert counter.inner_text() == f"{len(typed) + 30} of 70 characters · 2 SMS · Unicode"
    assert counter.get_attribute("data-over") == "1"
    sent_text = page.input_value("#reply-body")
    with page.expect_navigation():
        page.click("#reply-send")
    assert "Reply queued for sending." in page.inner_text(".flash.success")
    reply = page.locator("#conversation .conv-entry.public.outbound")
    assert reply.count() == 1
    assert sent_text in reply.inner_text() and "Waiting to be sent" in reply.inner_text()
    assert reply.locator(".channel-sms").count() == 1
    screenshot(page, "ticket-reply-sms")
    with live_container.session_factory() as s:
        message = s.scalars(select(Message)).one()
        assert (message.channel, message.recipient, message.delivery_state, message.body) == (
            Channel.SMS, "+8613800138000", DeliveryState.QUEUED, sent_text)
    assert problems == []
    page.close()
