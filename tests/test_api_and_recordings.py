"""The REST API (token auth, OpenAPI, validation) and recordings served by id with ranges."""
from __future__ import annotations

from sqlalchemy import select

from callcenter.models import AuditLog, Callback, Customer, Recording, Ticket

from .deskdata import PASSWORD
from .webtools import sign_in


def test_recording_streams_with_ranges_and_is_audited_once(client, shop, session_factory) -> None:
    sign_in(client, "ann", PASSWORD)
    whole = client.get(f"/recordings/{shop.recording_id}")
    assert whole.status_code == 200 and whole.mimetype == "audio/wav"
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.data[:4] == b"RIFF"
    part = client.get(f"/recordings/{shop.recording_id}", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and len(part.data) == 1000
    assert part.headers["Content-Range"].startswith("bytes 1000-1999/")
    assert part.data == whole.data[1000:2000]
    with session_factory() as s:
        plays = s.scalars(select(AuditLog).where(AuditLog.action == "recording_played")).all()
        assert [(p.actor_name, p.object_id) for p in plays] == [("ann", str(shop.recording_id))]


def test_recording_ids_are_ids_not_paths(client, shop, session_factory) -> None:
    sign_in(client, "ada", PASSWORD)
    for bad in ("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "1.wav", "-1", "%00"):
        assert client.get(f"/recordings/{bad}").status_code == 404, bad
    assert client.get("/recordings/999999").status_code == 404
    # A row whose path escapes the recordings directory is never served.
    with session_factory.begin() as s:
        s.get(Recording, shop.recording_id).path = "../../../../etc/passwd"
    assert client.get(f"/recordings/{shop.recording_id}").status_code == 410


def test_openapi_document_lists_every_endpoint(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/calls", "/api/v1/calls/{call_id}", "/api/v1/tickets", "/api/v1/tickets/{number}",
            "/api/v1/customers", "/api/v1/customers/{customer_id}", "/api/v1/callbacks",
            "/api/v1/surveys"} <= set(doc["paths"])
    assert set(doc["paths"]["/api/v1/tickets"]) == {"get", "post"}
    assert "TicketIn" in doc["components"]["schemas"]


def test_crm_flow_create_customer_ticket_and_callback(client, shop, session_factory) -> None:
    h = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    bad = client.post("/api/v1/customers", headers=h, json={"name": "Zhang Wei", "phones": ["12"]})
    assert bad.status_code == 422 and bad.get_json()["fields"] == {"phones.0": "not a phone number"}
    cust = client.post("/api/v1/customers", headers=h, json={"name": "Zhang Wei", "language": "zh",
                                                               "phones": ["+86 138 0013 9000"], "vip_tier": "gold"})
    assert cust.status_code == 201 and cust.get_json()["phones"] == ["+8613800139000"]
    found = client.get("/api/v1/customers?phone=008613800139000", headers=h).get_json()
    assert [c["name"] for c in found["items"]] == ["Zhang Wei"]
    dup = client.post("/api/v1/customers", headers=h, json={"name": "Again", "phones": ["+8613800139000"]})
    assert dup.status_code == 409
    ticket = client.post("/api/v1/tickets", headers=h, json={"subject": "Bill too high", "category": "billing",
                                                             "customer_id": cust.get_json()["id"]})
    assert ticket.status_code == 201
    number = ticket.get_json()["number"]
    patched = client.patch(f"/api/v1/tickets/{number}", headers=h,
                           json={"status": "pending", "note": "asked for invoice"})
    assert patched.get_json()["status"] == "pending"
    # The centre is in the US: a Chinese number is refused by the dialling policy, with the reason.
    abroad = client.post("/api/v1/callbacks", headers=h, json={"number": "+8613800139000",
                                                               "due_at": "2026-11-24T10:00:00+08:00"})
    assert abroad.status_code == 422 and "US" in abroad.get_json()["fields"]["number"]
    cb = client.post("/api/v1/callbacks", headers=h, json={"number": "+1 212 555 0100",
                                                           "due_at": "2026-11-24T10:00:00+08:00"})
    assert cb.status_code == 201 and cb.get_json()["due_at"].startswith("2026-11-24T02:00:00")
    with session_factory() as s:
        assert s.scalar(select(Ticket).where(Ticket.number == number)).notes[0].body == "asked for invoice"
        assert s.scalar(select(Callback)).number == "+12125550100"
        assert s.scalar(select(Customer).where(Customer.name == "Zhang Wei")).vip_tier.value == "gold"


def test_api_refuses_bad_input_clearly(client, shop) -> None:
    h = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    cases = [
        ("/api/v1/tickets", {"subject": ""}),
        ("/api/v1/tickets", {"subject": "x", "priority": "cosmic"}),
        ("/api/v1/tickets", {"subject": "x", "category": "a\r\nb"}),
        ("/api/v1/tickets", {"subject": "x", "unknown": 1}),
        ("/api/v1/callbacks", {"number": "${EXTEN}", "due_at": "2026-11-24T10:00:00Z"}),
        ("/api/v1/callbacks", {"number": "+12025550143", "due_at": "2026-11-24T10:00:00"}),
        ("/api/v1/customers", {"name": "x", "phones": ["+1 202 555 0143\r\nAction: Originate"]}),
    ]
    for url, data in cases:
        resp = client.post(url, headers=h, json=data)
        assert resp.status_code == 422, (url, data, resp.status_code)
        assert resp.get_json()["fields"], (url, data)
    assert client.post("/api/v1/tickets", headers=h, data="[]", content_type="application/json").status_code == 400
    assert client.get("/api/v1/tickets/12345678", headers=h).status_code == 404
