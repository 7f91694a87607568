"""The customer page, the merge flow and its API, and the history on the ticket page, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.channels.base import Inbound, Sender
from callcenter.db import transaction
from callcenter.models import AuditLog, Channel, Customer, CustomerIdentity, Ticket, utcnow

from .deskdata import PASSWORD, T0
from .webtools import csrf_token, sign_in

OPENID = "oWx1-Fang_2026abc"


def _client(app: Any, name: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, name, PASSWORD)
    return client


def _receive(container, inbound: Inbound) -> tuple[int, str]:
    with transaction(container.session_factory) as s:
        got = container.channel_intake.receive(s, inbound)
        assert got.ticket.customer_id is not None and got.ticket.number is not None
        return got.ticket.customer_id, got.ticket.number


def _wechat_customer(container, shop) -> tuple[int, str]:
    """王芳 wrote on WeChat (a new customer there); her ticket goes to ann's support queue."""
    customer_id, number = _receive(container, Inbound(
        channel=Channel.WECHAT, channel_key="wx-1", sender=Sender("wechat", OPENID, "Fang", verified=True),
        body="路由器还是红灯", received_at=T0 + dt.timedelta(hours=2)))
    with transaction(container.session_factory) as s:
        support = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one().queue_id
        s.scalars(select(Ticket).where(Ticket.number == number)).one().queue_id = support
        customer = s.get(Customer, customer_id)
        assert customer is not None
        container.customers.add_identity(s, customer, Actor.system("test"), kind="email", value="fang@example.com")
        s.scalars(select(CustomerIdentity).where(CustomerIdentity.value == "fang@example.com")).one().bounced_at = \
            utcnow()
    return customer_id, number


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_customer_page_shows_identifiers_with_their_marks(app, container, shop) -> None:
    customer_id, _ = _wechat_customer(container, shop)
    page = _client(app, "ann").get(f"/customers/{customer_id}")
    assert page.status_code == 200
    table = _text(page.get_data(as_text=True).split('id="identifiers"')[1].split("</table>")[0])
    assert f"WeChat {OPENID} Verified" in table
    assert "E-mail fang@example.com Not verified Bounced" in table
    assert "Merge another customer" not in page.get_data(as_text=True)  # agents do not merge
    assert "Merge another customer" in _client(app, "sue").get(f"/customers/{customer_id}").get_data(as_text=True)
    assert _client(app, "ann").get("/customers/999999").status_code == 404


def test_a_supervisor_merges_from_the_page_and_the_old_address_leads_to_the_kept_customer(app, container,
                                                                                          shop) -> None:
    other_id, wechat_ticket = _wechat_customer(container, shop)
    sue = _client(app, "sue")
    found = sue.get(f"/customers/{shop.customer_id}/merge?q={OPENID}").get_data(as_text=True)
    assert f"other={other_id}" in found  # found by the OpenID
    preview = sue.get(f"/customers/{shop.customer_id}/merge?other={other_id}").get_data(as_text=True)
    counts = {key: re.findall(rf'id="moves-{key}">(\d+)<', preview) for key in ("tickets", "calls", "messages",
                                                                                "identifiers")}
    assert counts == {"tickets": ["1"], "calls": ["0"], "messages": ["1"], "identifiers": ["2"]}
    token = csrf_token(sue, f"/customers/{shop.customer_id}/merge?other={other_id}")
    assert sue.post(f"/customers/{shop.customer_id}/merge", data={"other_id": other_id}).status_code == 400  # CSRF
    done = sue.post(f"/customers/{shop.customer_id}/merge", data={"csrf_token": token, "other_id": other_id,
                                                                  "take": ["name", "id"]})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/customers/{shop.customer_id}")
    shown = sue.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 tickets, 0 calls, 1 messages and 2 identifiers moved" in shown
    assert '<span id="customer-name">Fang</span>' in shown  # the name was taken from the merged customer
    assert OPENID in shown
    old = sue.get(f"/customers/{other_id}")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/customers/{shop.customer_id}")
    # The ticket page of her phone ticket now shows the WeChat ticket and message.
    ticket = _text(sue.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True))
    assert f"Other tickets Ticket {wechat_ticket}" in ticket
    assert (f"Recent contacts WeChat · Nov 23, 2026 11:00 · Received · Ticket {wechat_ticket} "
            "Phone · Nov 23, 2026 09:00 · support · Answered · Open the call") in ticket
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "customers_merged")) == 1


def test_the_merge_page_refuses_clearly(app, container, shop) -> None:
    other_id, _ = _wechat_customer(container, shop)
    sue = _client(app, "sue")
    token = csrf_token(sue, f"/customers/{shop.customer_id}/merge")
    itself = sue.post(f"/customers/{shop.customer_id}/merge", data={"csrf_token": token,
                                                                    "other_id": shop.customer_id})
    assert itself.status_code == 400 and "cannot be merged into itself" in itself.get_data(as_text=True)
    assert sue.post(f"/customers/{shop.customer_id}/merge", data={"csrf_token": token,
                                                                  "other_id": 999999}).status_code == 404
    container.erasure.erase(other_id, reason="request #3", actor=Actor.system("test"))
    erased = sue.get(f"/customers/{shop.customer_id}/merge?other={other_id}")
    assert erased.status_code == 400 and "An erased customer cannot be merged" in erased.get_data(as_text=True)
    ann = _client(app, "ann")
    assert ann.get(f"/customers/{shop.customer_id}/merge").status_code == 403
    with container.session_factory() as s:
        assert s.get(Customer, shop.customer_id) is not None
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "customers_merged")) == 0


def test_the_merge_api(client, container, shop) -> None:
    other_id, _ = _wechat_customer(container, shop)
    url = f"/api/v1/customers/{shop.customer_id}/merge"

    def post(who: str, body: dict[str, Any]) -> Any:
        return client.post(url, json=body, headers={"Authorization": f"Bearer {shop.tokens[who]}"})

    assert post("ann", {"other_id": other_id}).status_code == 403
    itself = post("sue", {"other_id": shop.customer_id})
    assert itself.status_code == 422 and itself.get_json()["error"] == "same"
    assert post("sue", {"other_id": 999999}).status_code == 404
    assert post("sue", {"other_id": "two"}).status_code == 422
    done = post("ada", {"other_id": other_id, "take": ["name"]})
    assert done.status_code == 200, done.get_json()
    out = done.get_json()
    assert out["merged_id"] == other_id and out["customer"]["id"] == shop.customer_id
    assert out["customer"]["name"] == "Fang" and out["moved"]["tickets"] == 1
    assert out["moved"]["customer_identities"] == 2
    assert post("ada", {"other_id": other_id}).status_code == 404  # gone


def test_the_ticket_page_has_an_empty_state(app, container, shop) -> None:
    page = _text(_client(app, "bob").get(f"/tickets/{shop.other_ticket_number}").get_data(as_text=True))
    assert "Customer history" not in page  # bob's ticket has no customer
    with transaction(container.session_factory) as s:
        s.scalars(select(Ticket).where(Ticket.number == shop.other_ticket_number)).one().customer_id = \
            shop.customer_id
    page = _text(_client(app, "bob").get(f"/tickets/{shop.other_ticket_number}").get_data(as_text=True))
    assert "No other tickets or contacts of this customer that you may see." in page
