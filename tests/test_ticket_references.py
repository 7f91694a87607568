"""Another system's reference on a ticket, through the API: attached once (a retry changes nothing), found
again by it, never moved to a second ticket, shown on the ticket page and carried in webhook bodies."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from callcenter.db import transaction
from callcenter.models import AuditLog, TicketReference, WebhookDelivery

from .deskdata import PASSWORD
from .support.walk import _as
from .webtools import sign_in


def _auth(shop: Any, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {shop.tokens[who]}"}


def test_an_erp_attaches_its_return_and_finds_the_ticket_by_it(client, container, shop) -> None:
    with transaction(container.session_factory) as s:
        container.webhook_endpoints.save(s, _as(s, "ada"), name="ERP", url="https://erp.example.com/hook",
                                         wanted=["ticket_updated"])
    url = f"/api/v1/tickets/{shop.ticket_number}/references"
    reference = {"system": "ERP", "ref": "RMA-2026/0042", "url": "https://erp.example.com/rma/42"}
    first = client.post(url, json=reference, headers=_auth(shop, "sue"))
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["references"] == [{"system": "erp", "ref": "RMA-2026/0042",
                                                "url": "https://erp.example.com/rma/42"}]
    again = client.post(url, json=reference, headers=_auth(shop, "sue"))  # the ERP's retry after a timeout
    assert again.status_code == 200 and len(again.get_json()["references"]) == 1
    found = client.get("/api/v1/tickets/by-reference", query_string={"system": "erp", "ref": "RMA-2026/0042"},
                       headers=_auth(shop, "ann"))
    assert found.status_code == 200 and found.get_json()["number"] == shop.ticket_number
    # bob may not see ann's ticket: the reference does not open it for him.
    hidden = client.get("/api/v1/tickets/by-reference", query_string={"system": "erp", "ref": "RMA-2026/0042"},
                        headers=_auth(shop, "bob"))
    assert hidden.status_code in (403, 404)
    missing = client.get("/api/v1/tickets/by-reference", query_string={"system": "erp"}, headers=_auth(shop, "ann"))
    assert missing.status_code == 422
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(TicketReference)) == 1
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "ticket_reference_added")) == 1
        bodies = [json.loads(b) for b in s.scalars(select(WebhookDelivery.body))]
    # One ticket_updated delivery (the retry made none), carrying the reference in the ticket.
    assert len(bodies) == 1 and bodies[0]["data"]["fields"] == ["references"]
    assert bodies[0]["data"]["ticket"]["references"] == [{"system": "erp", "ref": "RMA-2026/0042"}]
    # The ticket page shows it, linked.
    sign_in(client, "ann", PASSWORD)
    page = client.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    assert 'href="https://erp.example.com/rma/42"' in page and "RMA-2026/0042" in page


def test_a_reference_names_one_ticket_and_bad_ones_are_refused(client, container, shop) -> None:
    url = f"/api/v1/tickets/{shop.ticket_number}/references"
    assert client.post(url, json={"system": "crm", "ref": "CASE-1"}, headers=_auth(shop, "sue")).status_code == 201
    other = client.post("/api/v1/tickets", json={"subject": "Second"}, headers=_auth(shop, "ada")).get_json()
    taken = client.post(f"/api/v1/tickets/{other['number']}/references", json={"system": "crm", "ref": "CASE-1"},
                        headers=_auth(shop, "ada"))
    assert taken.status_code == 409 and "already names another ticket" in taken.get_json()["message"]
    for bad in ({"system": "crm", "ref": "CASE-2", "url": "javascript:alert(1)"},
                {"system": "crm", "ref": "line\nbreak"}, {"system": "9lives", "ref": "x"}):
        assert client.post(url, json=bad, headers=_auth(shop, "sue")).status_code == 422, bad
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(TicketReference)) == 1
