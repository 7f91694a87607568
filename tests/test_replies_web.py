"""Replying from the ticket page and the API, and the reply-template admin pages, on SQLite and PostgreSQL:
one public message queued to the customer's own address, an internal note never a message, a refused
reply said in the reader's language with the text kept, templates filled in for the ticket."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import (
    AuditLog,
    Channel,
    DeliveryState,
    Message,
    MessageDirection,
    ReplyTemplate,
    TemplateKind,
    Ticket,
    TicketNote,
    TicketStatus,
    User,
)
from callcenter.wiring import Container

from .deskdata import PASSWORD, Shop
from .webtools import csrf_token, sign_in


def _client(app: Any, who: str) -> Any:
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    return client


def _templates(container: Container) -> dict[str, int]:
    """A greeting (SMS in Chinese, e-mail in English) and a macro that resolves the ticket."""
    with transaction(container.session_factory) as s:
        sue = Actor.of(s.scalars(select(User).where(User.username == "sue")).one())
        greeting = container.templates.create(s, sue, name="Greeting")
        container.templates.save_variant(s, greeting, sue, channel="sms", language="zh",
                                         body="{{ customer.name }}您好，您的工单 {{ ticket.number }} 正在处理。")
        container.templates.save_variant(s, greeting, sue, channel="email", language="en",
                                         subject="About {{ ticket.subject }}", body="Dear {{ customer.name }},")
        solved = container.templates.create(s, sue, name="Solved", kind=TemplateKind.MACRO, set_status="resolved",
                                            add_tags=["solved"])
        container.templates.save_variant(s, solved, sue, channel="sms", language="zh", body="问题已解决。")
        return {"greeting": greeting.id, "solved": solved.id}


def _messages(container: Container) -> list[Message]:
    with container.session_factory() as s:
        return list(s.scalars(select(Message).order_by(Message.id)))


def test_the_reply_form_defaults_to_sms_for_a_phone_only_customer(app, container, shop: Shop) -> None:
    _templates(container)
    html = _client(app, "ann").get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    form = html[html.index('id="reply-form"'):]
    assert re.search(r'<option value="sms" data-to="\+8613800138000" selected>', form)
    assert '<strong id="reply-to" translate="no">+8613800138000</strong>' in form
    assert 'data-to=""' in form  # e-mail, web, WeChat: no address for this customer
    assert ">Greeting<" in form and "Solved · macro" in form
    assert 'name="csrf_token"' in form and "segments.js" in html and "reply.js" in html
    # QA sees the ticket but may not change it: no reply form.
    assert 'id="reply-form"' not in _client(app, "quinn").get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)


def test_a_template_is_filled_in_for_the_ticket(app, container, shop: Shop) -> None:
    ids = _templates(container)
    ann = _client(app, "ann")
    got = ann.get(f"/tickets/{shop.ticket_number}/replies/templates/{ids['greeting']}?channel=sms").get_json()
    assert got == {"subject": "", "body": f"王芳您好，您的工单 {shop.ticket_number} 正在处理。", "channel": "sms",
                   "language": "zh", "macro": False}
    email = ann.get(f"/tickets/{shop.ticket_number}/replies/templates/{ids['greeting']}?channel=email").get_json()
    assert (email["subject"], email["body"]) == ("About Router down", "Dear 王芳,")
    # Someone who may not change the ticket gets nothing from it.
    bob = _client(app, "bob")
    assert bob.get(f"/tickets/{shop.ticket_number}/replies/templates/{ids['greeting']}").status_code == 403


def test_a_reply_from_the_page_queues_one_message_to_the_customer(app, container, shop: Shop) -> None:
    ids = _templates(container)
    ann = _client(app, "ann")
    token = csrf_token(ann, f"/tickets/{shop.ticket_number}")
    resp = ann.post(f"/tickets/{shop.ticket_number}/replies", data={
        "csrf_token": token, "channel": "sms", "body": "问题已解决。", "template_id": str(ids["solved"])})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/tickets/{shop.ticket_number}#conversation")
    [message] = _messages(container)
    assert (message.channel, message.direction, message.recipient, message.delivery_state, message.body) == (
        Channel.SMS, MessageDirection.OUTBOUND, "+8613800138000", DeliveryState.QUEUED, "问题已解决。")
    with container.session_factory() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        assert ticket.status is TicketStatus.RESOLVED and ticket.tags == ["solved"]
    html = ann.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    assert "Reply queued for sending." in html and "问题已解决。" in html
    # Without the token the form is refused and nothing more is queued.
    assert ann.post(f"/tickets/{shop.ticket_number}/replies", data={"channel": "sms", "body": "x"}).status_code == 400
    assert len(_messages(container)) == 1


def test_an_internal_note_from_the_reply_form_never_becomes_a_message(app, container, shop: Shop) -> None:
    ann = _client(app, "ann")
    token = csrf_token(ann, f"/tickets/{shop.ticket_number}")
    resp = ann.post(f"/tickets/{shop.ticket_number}/replies", data={
        "csrf_token": token, "channel": "sms", "body": "Customer prefers calls after 18:00.", "internal": "1"})
    assert resp.status_code == 303
    assert _messages(container) == []
    with container.session_factory() as s:
        note = s.scalars(select(TicketNote).where(TicketNote.body == "Customer prefers calls after 18:00.")).one()
        assert note.internal


def test_a_refused_reply_is_said_in_chinese_and_the_text_is_kept(app, container, shop: Shop) -> None:
    ann = _client(app, "ann")
    ann.post("/language", data={"lang": "zh", "csrf_token": csrf_token(ann, "/")})
    token = csrf_token(ann, f"/tickets/{shop.ticket_number}")
    resp = ann.post(f"/tickets/{shop.ticket_number}/replies", data={
        "csrf_token": token, "channel": "email", "body": "请查收附件。", "subject": "发票"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "客户在 电子邮件 渠道上没有可回复的地址。" in html
    assert "请查收附件。</textarea>" in html and 'value="发票"' in html
    assert re.search(r'<option value="email" data-to="" selected>', html)
    assert _messages(container) == []
    # The agent of another team's ticket is refused outright.
    bob = _client(app, "bob")
    refused = bob.post(f"/tickets/{shop.ticket_number}/replies", data={
        "csrf_token": csrf_token(bob, f"/tickets/{shop.other_ticket_number}"), "channel": "sms", "body": "hi"})
    assert refused.status_code == 403 and _messages(container) == []


def test_the_api_replies_and_lists_templates(client, container, shop: Shop) -> None:
    ids = _templates(container)
    ann = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    resp = client.post(f"/api/v1/tickets/{shop.ticket_number}/replies", headers=ann,
                       json={"channel": "sms", "body": "工程师今天下午上门。", "template_id": ids["solved"]})
    assert resp.status_code == 201, resp.get_json()
    entry = resp.get_json()
    assert (entry["kind"], entry["channel"], entry["recipient"], entry["delivery_state"]) == (
        "message", "sms", "+8613800138000", "queued")
    [message] = _messages(container)
    assert message.id == entry["id"] and message.body == "工程师今天下午上门。"
    with container.session_factory() as s:
        assert s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one().tags == ["solved"]
    note = client.post(f"/api/v1/tickets/{shop.ticket_number}/replies", headers=ann,
                       json={"channel": "sms", "body": "only for us", "internal": True})
    assert note.status_code == 201 and note.get_json()["kind"] == "note" and len(_messages(container)) == 1
    no_address = client.post(f"/api/v1/tickets/{shop.ticket_number}/replies", headers=ann,
                             json={"channel": "wechat", "body": "hi"})
    assert no_address.status_code == 422 and "no address" in no_address.get_json()["detail"]
    unknown = client.post(f"/api/v1/tickets/{shop.ticket_number}/replies", headers=ann,
                          json={"channel": "sms", "body": "hi", "template_id": 999})
    assert unknown.status_code == 422 and unknown.get_json()["fields"] == {"template_id": "No such template."}
    assert len(_messages(container)) == 1
    listed = client.get("/api/v1/templates", headers=ann).get_json()
    assert [t["name"] for t in listed["items"]] == ["Greeting", "Solved"] and listed["total"] == 2
    greeting = listed["items"][0]
    assert {(v["channel"], v["language"]) for v in greeting["variants"]} == {("sms", "zh"), ("email", "en")}
    assert listed["items"][1]["set_status"] == "resolved" and listed["items"][1]["kind"] == "macro"


def test_supervisors_manage_templates_in_the_admin_pages(app, container, shop: Shop) -> None:
    sue = _client(app, "sue")
    token = csrf_token(sue, "/admin/templates")
    made = sue.post("/admin/templates", data={"csrf_token": token, "name": "Engineer booked", "kind": "macro",
                                              "set_status": "pending", "add_tags": "visit, engineer"})
    assert made.status_code == 303
    with container.session_factory() as s:
        template = s.scalars(select(ReplyTemplate)).one()
        assert (template.kind, template.set_status, template.add_tags) == (TemplateKind.MACRO, "pending",
                                                                           ["visit", "engineer"])
        template_id = template.id
    assert made.headers["Location"].endswith(f"/admin/templates/{template_id}")
    long_sms = "您好{{ customer.name }}，" + "工程师" * 25
    refused = sue.post(f"/admin/templates/{template_id}/variants", data={
        "csrf_token": token, "channel": "sms", "language": "zh", "body": long_sms})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert ("An SMS variant must fit one SMS: with typical values it is 82 characters, over the limit of 70 (UCS-2)"
            in html)
    assert long_sms in html  # what was typed is shown again, not lost
    saved = sue.post(f"/admin/templates/{template_id}/variants", data={
        "csrf_token": token, "channel": "sms", "language": "zh", "body": "您好{{ customer.name }}，工程师明天上门。"})
    assert saved.status_code == 303
    page = sue.get(f"/admin/templates/{template_id}").get_data(as_text=True)
    assert 'data-sms-counter="#count-' in page and "工程师明天上门" in page
    renamed = sue.post(f"/admin/templates/{template_id}", data={
        "csrf_token": token, "name": "Engineer visit", "kind": "macro", "set_priority": "high"})
    assert renamed.status_code == 303
    with container.session_factory() as s:
        template = s.get(ReplyTemplate, template_id)
        assert (template.name, template.set_status, template.set_priority, template.add_tags) == (
            "Engineer visit", None, "high", [])
        variant_id = template.variants[0].id
    removed = sue.post(f"/admin/templates/{template_id}/variants/{variant_id}/delete", data={"csrf_token": token})
    assert removed.status_code == 303
    with container.session_factory() as s:
        assert s.get(ReplyTemplate, template_id).variants == []
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.object_type == "reply_template")
                                 .order_by(AuditLog.id)))
        assert actions == ["template_created", "template_variant_saved", "template_changed",
                           "template_variant_removed"]
    assert sue.post(f"/admin/templates/{template_id}/active", data={"csrf_token": token, "active": "0"}).status_code \
        == 303
    with container.session_factory() as s:
        assert s.get(ReplyTemplate, template_id).active is False
        assert s.scalar(select(func.count()).select_from(ReplyTemplate).where(ReplyTemplate.active)) == 0
    # Deactivated: the ticket page no longer offers it.
    html = _client(app, "ann").get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    assert "Engineer booked" not in html
    # An agent may not manage them.
    assert _client(app, "ann").get("/admin/templates").status_code == 403
