"""The webhook admin pages through the Flask client, on SQLite and PostgreSQL: an admin adds an endpoint and
reads its secret (which verifies what the sender posts), edits it, sees the delivery log with the receiver's
answers, replays one delivery and a range, makes a new secret and removes the endpoint; every message in the
reader's language, every change audited, the secret never in the audit log."""
from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import AuditLog, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from callcenter.webhooks.sender import Sender

from .deskdata import PASSWORD
from .support.receiver import Receiver
from .webtools import csrf_token, sign_in

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _admin(client: Any) -> str:
    sign_in(client, "ada", PASSWORD)
    return csrf_token(client, "/admin/webhooks")


def _drain(container: Any) -> None:
    sender = container.service("webhooks")
    assert isinstance(sender, Sender)
    with sender.client() as http:
        while sender.run_once(http):
            pass


def test_an_admin_sets_up_an_endpoint_whose_secret_verifies_and_replays_from_the_log(client, container,
                                                                                    shop) -> None:
    token = _admin(client)
    empty = client.get("/admin/webhooks").get_data(as_text=True)
    assert 'id="no-webhooks"' in empty and "ticket_created" in empty
    refused = client.post("/admin/webhooks", data={"csrf_token": token, "name": "CRM", "url": "crm.example.com",
                                                   "events": ["ticket_created"]}, headers=ZH)
    assert refused.status_code == 400 and 'data-field="url"' in refused.get_data(as_text=True)
    assert 'value="CRM"' in refused.get_data(as_text=True)  # what was typed is kept
    receiver = Receiver(secret="whsec_" + "A" * 43 + "=").start()
    try:
        added = client.post("/admin/webhooks", data={"csrf_token": token, "name": "CRM", "url": receiver.url,
                                                     "events": ["ticket_created", "ticket_updated"]})
        assert added.status_code == 303
        page = client.get(added.headers["Location"])
        assert page.headers["Cache-Control"] == "no-store"
        shown = re.search(r'<code id="secret-value" translate="no">([^<]+)</code>', page.get_data(as_text=True))
        assert shown is not None and shown.group(1).startswith("whsec_")
        receiver.secret = shown.group(1)  # exactly what the page showed: the receiver verifies with it
        with transaction(container.session_factory) as s:
            ticket = container.tickets.create(s, Actor.system("test"), subject="退货：耳机左耳没有声音")
            number = ticket.number
        _drain(container)
        [got] = receiver.accepted
        assert got.payload["data"]["number"] == number and receiver.refused == []
        with container.session_factory() as s:
            endpoint = s.scalars(select(WebhookEndpoint)).one()
            delivery = s.scalars(select(WebhookDelivery)).one()
        log = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
        assert f'data-delivery="{delivery.id}"' in log and "ticket_created" in log and ">200<" in log
        detail = html.unescape(client.get(f"/admin/webhooks/{endpoint.id}/deliveries/{delivery.id}")
                               .get_data(as_text=True))
        assert delivery.message_id in detail and "退货：耳机左耳没有声音" in detail and '{"ok": true}' in detail
        again = client.post(f"/admin/webhooks/{endpoint.id}/replay", data={"csrf_token": token,
                                                                           "delivery": str(delivery.id)})
        assert again.status_code == 303
        now = dt.datetime.now(dt.UTC)
        stamp = "%Y-%m-%dT%H:%M"
        ranged = client.post(f"/admin/webhooks/{endpoint.id}/replay", headers=ZH, follow_redirects=True,
                             data={"csrf_token": token, "since": (now - dt.timedelta(hours=1)).strftime(stamp),
                                   "until": (now + dt.timedelta(hours=1)).strftime(stamp)})
        assert ranged.status_code == 200 and "再次发送的投递：1" in ranged.get_data(as_text=True)
        backwards = client.post(f"/admin/webhooks/{endpoint.id}/replay", headers=ZH,
                                data={"csrf_token": token, "since": now.strftime(stamp),
                                      "until": (now - dt.timedelta(hours=1)).strftime(stamp)})
        assert backwards.status_code == 400
        _drain(container)
        assert receiver.ids() == [delivery.message_id] * 2
        edited = client.post(f"/admin/webhooks/{endpoint.id}", data={"csrf_token": token, "name": "CRM",
                                                                     "url": receiver.url, "events": ["ticket_updated"]})
        assert edited.status_code == 303
        rotated = client.post(f"/admin/webhooks/{endpoint.id}/secret", data={"csrf_token": token})
        assert rotated.status_code == 303
        with container.session_factory() as s:
            endpoint = s.scalars(select(WebhookEndpoint)).one()
            assert endpoint.events == ["ticket_updated"] and not endpoint.active  # the box was left unticked
            assert endpoint.secret != receiver.secret
            details = str(list(s.scalars(select(AuditLog.detail))))
            assert endpoint.secret not in details and receiver.secret not in details
            assert {"webhook_added", "webhook_changed", "webhook_replayed", "webhook_secret_rotated"} <= set(
                s.scalars(select(AuditLog.action)))
        removed = client.post(f"/admin/webhooks/{endpoint.id}/delete", data={"csrf_token": token})
        assert removed.status_code == 303
        with container.session_factory() as s:
            assert s.scalars(select(WebhookEndpoint)).all() == []
            assert s.scalars(select(WebhookDelivery.status)).all() == []  # its log went with it
    finally:
        receiver.stop()
    assert "Webhooks" in client.get("/admin/").get_data(as_text=True)


def test_a_failing_endpoint_shows_on_the_admin_pages(client, container, shop) -> None:
    _admin(client)
    with transaction(container.session_factory) as s:
        admin = s.scalars(select(WebhookEndpoint)).first()
        assert admin is None
        from callcenter.models import User

        ada = s.scalars(select(User).where(User.username == "ada")).one()
        endpoint = container.webhook_endpoints.save(s, Actor.of(ada), name="ERP", url="http://127.0.0.1:9/refused",
                                                    wanted=["ticket_created"])
        endpoint_id = endpoint.id
        container.tickets.create(s, Actor.system("test"), subject="x")
    sender = container.service("webhooks")
    assert isinstance(sender, Sender)
    sender.settings = sender.settings.model_copy(update={"give_up_hours": 0.0, "timeout_seconds": 2.0})
    with sender.client() as http:
        sender.run_once(http)
    with container.session_factory() as s:
        assert s.scalars(select(WebhookDelivery.status)).one() is DeliveryStatus.DEAD
    index = client.get("/admin/", headers=ZH).get_data(as_text=True)
    assert 'id="card-webhooks"' in index and "1 个失败" in index
    page = client.get(f"/admin/webhooks/{endpoint_id}").get_data(as_text=True)
    assert 'id="failing"' in page and "NewConnectionError" in page  # the sender's reason, as urllib3 gave it
