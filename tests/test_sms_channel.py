"""The SMS channel on SQLite and PostgreSQL, against a gateway's documented protocol played over localhost.

Webhooks are signed as the gateway signs them (HMAC-SHA256 of the raw body)
and posted to the real routes; replies leave through the ``Delivery`` loop to
a local server that plays the gateway's send API
(``tests/support/channel_peers.py``).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.channels.delivery import Delivery
from callcenter.channels.registry import adapters
from callcenter.channels.service import ChannelsService
from callcenter.channels.settings import SMSSettings
from callcenter.channels.sms import SMSAdapter, sign
from callcenter.db import transaction
from callcenter.models import AuditLog, Channel, Customer, DeliveryState, Message, Ticket
from tests.support import replies
from tests.support.channel_peers import SMSGateway, serving
from tests.support.services import TEST

SECRET = "webhook-secret-shared-with-the-gateway"
NUMBER = "+8613800138000"
SENDER = "+8610690000"


@pytest.fixture
def gateway() -> Iterator[SMSGateway]:
    with serving(SMSGateway()) as peer:
        yield peer


@pytest.fixture
def settings(settings, gateway: SMSGateway):
    settings.phone.default_region = "CN"
    settings.dialling.countries = ["CN", "US"]
    settings.channels.sms = SMSSettings(enabled=True, sender=SENDER, send_url=f"{gateway.url}/send",
                                        send_token=gateway.token, inbound_secret=SECRET, timeout=5)
    return settings


def _webhook(client, path: str, payload: Any, secret: str = SECRET, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    return client.post(f"/channels/sms/{path}", data=body, content_type="application/json",
                       headers={"X-Signature": sign(secret, body)})


def _text(key: str = "sms-0001", sender: str = NUMBER, text: Any = "我的宽带又断了", **extra: Any) -> dict[str, Any]:
    return {"id": key, "from": sender, "to": SENDER, "text": text, "received_at": "2026-12-01T09:30:00+08:00",
            **extra}




def test_a_text_from_a_known_number_joins_the_customer_who_called(client, container) -> None:
    with transaction(container.session_factory) as s:
        known = container.customers.create(s, TEST, name="王芳", numbers=["138 0013 8000"]).id
    resp = _webhook(client, "inbound", _text())
    assert resp.status_code == 200 and resp.get_json()["status"] == "ok"
    with container.session_factory() as s:
        message = s.scalars(select(Message)).one()
        ticket = s.get(Ticket, message.ticket_id)
        assert message.channel == Channel.SMS and message.channel_key == "sms-0001"
        assert message.body == "我的宽带又断了" and message.sender == NUMBER and message.customer_id == known
        assert message.received_at is not None and message.received_at.hour == 1  # 09:30 in Beijing, in UTC
        assert ticket is not None and ticket.customer_id == known and ticket.source == "sms"
    assert replies.count(container, Customer) == 1


def test_an_unsigned_or_forged_text_stores_nothing(client, container) -> None:
    assert _webhook(client, "inbound", _text(), secret="guessed").status_code == 401
    body = json.dumps(_text()).encode()
    assert client.post("/channels/sms/inbound", data=body, content_type="application/json").status_code == 401
    tampered = client.post("/channels/sms/inbound", data=body.replace(b"sms-0001", b"sms-0002"),
                           content_type="application/json", headers={"X-Signature": sign(SECRET, body)})
    assert tampered.status_code == 401 and tampered.get_json()["error"] == "bad_signature"
    assert replies.count(container, Message) == 0 and replies.count(container, Ticket) == 0


def test_a_resent_id_is_stored_once(client, container) -> None:
    answers = [_webhook(client, "inbound", _text("sms-dup")) for _ in range(3)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.get_json()["message_id"] for a in answers}) == 1
    assert replies.count(container, Message) == 1 and replies.count(container, Ticket) == 1


@pytest.mark.parametrize(("payload", "status", "field"), [
    (_text(sender="call me maybe"), 422, "from"),
    (_text(text="长" * 40_001), 422, "text"),
    (_text(received_at="2026-12-01T09:30:00"), 422, "received_at"),  # no time zone
    (_text(received_at="yesterday"), 422, "received_at"),
    ({"from": NUMBER, "text": "no id"}, 422, "id"),
    (_text(key=""), 422, "id"),
    (_text(text=["not", "text"]), 422, "text"),
])
def test_invalid_fields_are_refused_clearly_and_store_nothing(client, container, payload, status, field) -> None:
    resp = _webhook(client, "inbound", payload)
    assert resp.status_code == status and resp.get_json()["field"] == field and resp.get_json()["message"]
    assert replies.count(container, Message) == 0


def test_a_signed_body_that_is_not_a_json_object_is_refused(client, container) -> None:
    assert _webhook(client, "inbound", None, raw=b"id=1&from=13800138000").status_code == 400
    assert _webhook(client, "inbound", None, raw=b'["a list"]').status_code == 400
    assert _webhook(client, "inbound", None, raw=b"{" + b" " * 600_000 + b"}").status_code == 413
    assert replies.count(container, Message) == 0


def test_a_disabled_channel_answers_404(client, container) -> None:
    container.settings.channels.sms.enabled = False
    assert _webhook(client, "inbound", _text()).status_code == 404
    assert _webhook(client, "status", {"id": "gw-1", "status": "delivered"}).status_code == 404
    assert replies.count(container, Message) == 0


# -- replies and receipts ------------------------------------------------------------------------







def test_a_reply_goes_to_the_gateway_with_the_bearer_token(client, container, gateway) -> None:
    _webhook(client, "inbound", _text())
    reply = replies.queue_reply(container, Channel.SMS, "师傅明天上午上门。", NUMBER)
    assert replies.delivery(container).run_once() == 1
    [sent] = gateway.to("/send")
    assert sent.headers["Authorization"] == f"Bearer {gateway.token}"
    assert sent.json() == {"to": NUMBER, "from": SENDER, "text": "师傅明天上午上门。", "reference": str(reply)}
    message = replies.message(container, reply)
    assert message.delivery_state == DeliveryState.SENT and message.channel_key == "gw-1"


def test_a_premium_rate_number_is_refused_and_never_reaches_the_gateway(client, container, gateway) -> None:
    _webhook(client, "inbound", _text())
    reply = replies.queue_reply(container, Channel.SMS, "Your code is 1234", "+19002345678")
    assert replies.delivery(container).run_once() == 1
    message = replies.message(container, reply)
    assert message.delivery_state == DeliveryState.FAILED and message.attempts == 1
    assert "dialling policy" in (message.error or "") and gateway.seen == []


@pytest.mark.parametrize(("status", "state"), [(429, DeliveryState.QUEUED), (503, DeliveryState.QUEUED),
                                               (400, DeliveryState.FAILED)])
def test_the_gateways_refusals_are_temporary_or_permanent(client, container, gateway, status, state) -> None:
    _webhook(client, "inbound", _text())
    gateway.next_statuses = [status]
    reply = replies.queue_reply(container, Channel.SMS, "收到。", NUMBER)
    assert replies.delivery(container).run_once() == 1
    message = replies.message(container, reply)
    assert message.delivery_state == state and str(status) in (message.error or "")
    assert gateway.token not in (message.error or "")


def test_receipts_mark_the_reply_delivered_or_failed(client, container, gateway) -> None:
    _webhook(client, "inbound", _text())
    delivered = replies.queue_reply(container, Channel.SMS, "已处理。", NUMBER)
    failed = replies.queue_reply(container, Channel.SMS, "请回复 1 确认。", NUMBER)
    assert replies.delivery(container).run_once() == 2
    keys = {replies.message(container, m).channel_key for m in (delivered, failed)}
    assert keys == {"gw-1", "gw-2"}
    assert _webhook(client, "status", {"id": "gw-1", "status": "delivered"}).status_code == 200
    assert _webhook(client, "status", {"id": "gw-1", "status": "delivered"}).status_code == 200  # sent again
    resp = _webhook(client, "status", {"id": "gw-2", "status": "failed", "error": "absent subscriber"})
    assert resp.status_code == 200 and resp.get_json()["message_id"] == failed
    ok, bad = replies.message(container, delivered), replies.message(container, failed)
    assert ok.delivery_state == DeliveryState.SENT and ok.meta["receipt"] == "delivered"
    assert bad.delivery_state == DeliveryState.FAILED and "absent subscriber" in (bad.error or "")
    with container.session_factory() as s:
        actions = s.scalars(select(AuditLog.action).where(AuditLog.action.in_(["message_delivered",
                                                                               "message_failed"]))).all()
        assert sorted(actions) == ["message_delivered", "message_failed"]


def test_a_receipt_that_is_forged_unknown_or_invalid_changes_nothing(client, container, gateway) -> None:
    _webhook(client, "inbound", _text())
    reply = replies.queue_reply(container, Channel.SMS, "好的。", NUMBER)
    replies.delivery(container).run_once()
    forged = _webhook(client, "status", {"id": "gw-1", "status": "failed"}, secret="guessed")
    assert forged.status_code == 401
    assert _webhook(client, "status", {"id": "gw-999", "status": "delivered"}).status_code == 404
    assert _webhook(client, "status", {"id": "gw-1", "status": "lost"}).status_code == 422
    assert _webhook(client, "status", {"id": "sms-0001", "status": "failed"}).status_code == 404  # inbound, not ours
    message = replies.message(container, reply)
    assert message.delivery_state == DeliveryState.SENT and "receipt" not in message.meta


def test_sms_is_never_sent_without_the_dialling_policy(container) -> None:
    with pytest.raises(ValueError, match="dialling policy"):
        adapters(container.settings.channels)


def test_the_channels_service_sends_sms_under_the_centres_dialling_policy(container) -> None:
    service = container.channels()
    assert isinstance(service, ChannelsService)
    delivery = service.parts[0]
    assert isinstance(delivery, Delivery)
    sms = delivery.adapters[Channel.SMS]
    assert isinstance(sms, SMSAdapter) and sms.region == "CN"
    assert sms.policy.check("+19002345678") is not None and sms.policy.check(NUMBER) is None
