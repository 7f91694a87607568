"""The inbound API for a CRM or ERP: customers created or updated in bulk by the CRM's id, idempotent,
each record standing alone; a caller we already knew adopted, not doubled."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from callcenter.events import CustomerCreated, CustomerUpdated
from callcenter.models import AuditLog, Customer, CustomerIdentity, CustomerPhone

from .support.agi_peer import wait_until

SYNC = "/api/v1/customers/sync"


def _sync(client: Any, token: str, customers: list[dict[str, Any]]) -> Any:
    return client.post(SYNC, json={"customers": customers}, headers={"Authorization": f"Bearer {token}"})


def test_a_batch_creates_updates_and_a_resend_changes_nothing(client, container, shop) -> None:
    seen: list[Any] = []
    container.bus.subscribe(CustomerCreated, lambda m: seen.append(m.event))
    container.bus.subscribe(CustomerUpdated, lambda m: seen.append(m.event))
    batch = [
        {"external_ref": "CRM-1", "name": "李雷", "company": "韩梅梅贸易", "email": "Li.Lei@Example.com",
         "language": "zh", "vip_tier": "gold", "phones": ["+86 139 0000 0001"]},
        {"external_ref": "CRM-2", "name": "Jane Roe", "phones": ["+1 202 555 0199", "(202) 555-0198"]},
        # 王芳 called before the CRM knew her: her number finds her, and she gets the CRM's id.
        {"external_ref": "CRM-3", "name": "王芳", "vip_tier": "platinum", "phones": ["+8613800138000"]},
    ]
    first = _sync(client, shop.tokens["sue"], batch)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert (body["created"], body["updated"], body["unchanged"], body["refused"]) == (2, 1, 0, 0)
    adopted = body["results"][2]
    assert adopted["customer_id"] == shop.customer_id and adopted["changed"] == ["external_ref", "vip_tier"]
    with container.session_factory() as s:
        li = s.scalars(select(Customer).where(Customer.external_ref == "CRM-1")).one()
        assert (li.name, li.company, li.email, li.language, li.vip_tier.value) == (
            "李雷", "韩梅梅贸易", "li.lei@example.com", "zh", "gold")
        assert [p.number for p in li.phones] == ["+8613900000001"]
        jane = s.scalars(select(Customer).where(Customer.external_ref == "CRM-2")).one()
        assert sorted(p.number for p in jane.phones) == ["+12025550198", "+12025550199"]
        assert s.get(Customer, shop.customer_id).vip_tier.value == "platinum"
        audited = s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action.in_(("customer_created", "customer_updated"))))
    assert audited == 3 and wait_until(lambda: len(seen) == 3)  # on PostgreSQL, by NOTIFY
    # The ERP timed out and sends the same batch again: nothing changes, nothing is audited or announced.
    again = _sync(client, shop.tokens["sue"], batch).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action.in_(("customer_created", "customer_updated")))) == 3
        assert s.scalar(select(func.count()).select_from(Customer).where(Customer.external_ref.like("CRM-%"))) == 3
    assert not wait_until(lambda: len(seen) > 3, timeout=0.5)
    # A change later: only what changed, a number added (none taken away), a new verified address.
    later = _sync(client, shop.tokens["sue"], [{"external_ref": "CRM-2", "email": "jane@roe.example",
                                                  "phones": ["+1 202 555 0197"]}]).get_json()
    assert later["results"][0]["outcome"] == "updated" and later["results"][0]["changed"] == ["email", "phones"]
    with container.session_factory() as s:
        jane = s.scalars(select(Customer).where(Customer.external_ref == "CRM-2")).one()
        assert len(jane.phones) == 3 and jane.name == "Jane Roe"
        assert s.scalar(select(CustomerIdentity.verified).where(CustomerIdentity.value == "jane@roe.example"))


def test_a_bad_record_is_refused_and_the_rest_go_in(client, container, shop) -> None:
    with container.session_factory() as s:
        before = s.scalar(select(func.count()).select_from(Customer))
    body = _sync(client, shop.tokens["ada"], [
        {"external_ref": "ERP-1", "name": "Good One", "phones": ["+44 20 7946 0001"]},
        {"external_ref": "ERP-2", "name": "Bad Number", "phones": ["call me maybe"]},
        {"external_ref": "ERP-3", "name": "Bad Mail", "email": "not-an-address"},
        {"external_ref": "ERP-4", "name": "Someone else's", "phones": ["+44 20 7946 0001"]},
        {"external_ref": "ERP-5", "name": "Line\nbreak"},
    ]).get_json()
    assert [r["outcome"] for r in body["results"]] == ["created", "refused", "refused", "refused", "refused"]
    assert "phones.0" in body["results"][1]["errors"] and "email" in body["results"][2]["errors"]
    assert "another customer of the CRM (ERP-1)" in body["results"][3]["errors"]["phones"]
    assert "name" in body["results"][4]["errors"]
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == before + 1
        assert s.scalar(select(CustomerPhone.customer_id).where(CustomerPhone.number == "+442079460001")) == \
            s.scalar(select(Customer.id).where(Customer.external_ref == "ERP-1"))


def test_only_managers_with_the_write_scope_may_sync(client, shop) -> None:
    record = [{"external_ref": "X-1", "name": "Nobody"}]
    assert _sync(client, shop.tokens["ann"], record).status_code == 403  # an agent
    assert client.post(SYNC, json={"customers": record}).status_code == 401
    too_many = _sync(client, shop.tokens["sue"], [{"external_ref": f"R-{n}"} for n in range(501)])
    assert too_many.status_code == 422
    unknown_field = _sync(client, shop.tokens["sue"], [{"external_ref": "R-1", "password": "x"}])
    assert unknown_field.status_code == 422
