"""Customer tags: the service (expiry, sweep, the CRM's own set), the customer page's chips and forms, and
the CRM's tags through the inbound sync API, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.customers import tags
from callcenter.customers.tags import TagError
from callcenter.db import transaction
from callcenter.models import AuditLog, Customer, CustomerTag, TagSource, utcnow

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

ROBOT = Actor.system("test")


def _audited(container: Any, action: str) -> list[AuditLog]:
    with container.session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _tags_of(container: Any, customer_id: int) -> dict[str, CustomerTag]:
    with container.session_factory() as s:
        return {r.tag: r for r in tags.rows(s, customer_id)}


# -- the service -------------------------------------------------------------------------------------
def test_add_with_expiry_then_again_moves_it_and_remove(container, shop) -> None:
    service, soon, later = container.customer_tags, utcnow() + dt.timedelta(days=3), utcnow() + dt.timedelta(days=30)
    with transaction(container.session_factory) as s:
        fang = s.get(Customer, shop.customer_id)
        assert service.add(s, fang, "售后投诉", ROBOT, expires_at=soon)
        assert not service.add(s, fang, "售后投诉", ROBOT, expires_at=soon)  # the same: nothing changes
        assert service.add(s, fang, "售后投诉", ROBOT, expires_at=later)  # a rule firing again extends it
        assert service.add(s, fang, "VIP", ROBOT)
    kept = _tags_of(container, shop.customer_id)
    assert set(kept) == {"售后投诉", "VIP"} and kept["VIP"].expires_at is None
    moved = kept["售后投诉"].expires_at
    assert moved is not None and abs(moved - later) < dt.timedelta(seconds=1)
    assert kept["售后投诉"].source is TagSource.AGENT
    assert [a.detail["tag"] for a in _audited(container, "customer_tag_added")] == ["售后投诉", "VIP"]
    assert len(_audited(container, "customer_tag_changed")) == 1
    with transaction(container.session_factory) as s:
        fang = s.get(Customer, shop.customer_id)
        assert service.remove(s, fang, "VIP", ROBOT)
        assert not service.remove(s, fang, "VIP", ROBOT)  # gone already
    assert set(_tags_of(container, shop.customer_id)) == {"售后投诉"}
    assert [a.detail["tag"] for a in _audited(container, "customer_tag_removed")] == ["VIP"]


def test_an_expired_tag_no_longer_counts_and_the_sweep_removes_it(container, shop) -> None:
    service = container.customer_tags
    with transaction(container.session_factory) as s:
        fang = s.get(Customer, shop.customer_id)
        service.add(s, fang, "trial", ROBOT, expires_at=utcnow() + dt.timedelta(hours=1))
        service.add(s, fang, "loyal", ROBOT)
    after = utcnow() + dt.timedelta(hours=2)
    with container.session_factory() as s:
        assert tags.active(s, shop.customer_id) == ["trial", "loyal"]
        assert tags.active(s, shop.customer_id, now=after) == ["loyal"]
    with transaction(container.session_factory) as s:
        assert service.sweep(s, ROBOT, now=after) == 1
        assert service.sweep(s, ROBOT, now=after) == 0
    assert set(_tags_of(container, shop.customer_id)) == {"loyal"}
    expired = _audited(container, "customer_tag_expired")
    assert [(a.detail["tag"], a.object_id) for a in expired] == [("trial", str(shop.customer_id))]


def test_the_crm_set_replaces_only_the_crm_tags(container, shop) -> None:
    service = container.customer_tags
    with transaction(container.session_factory) as s:
        fang = s.get(Customer, shop.customer_id)
        service.add(s, fang, "by-hand", ROBOT)
        service.add(s, fang, "by-rule", ROBOT, source=TagSource.RULE)
        assert service.set_from_crm(s, fang, ["VIP", "售后投诉"], ROBOT)
    with transaction(container.session_factory) as s:
        fang = s.get(Customer, shop.customer_id)
        assert not service.set_from_crm(s, fang, ["售后投诉", "VIP"], ROBOT)  # the same set again: no change
        assert service.set_from_crm(s, fang, ["VIP", "by-hand"], ROBOT)  # by-hand stays the agent's
    kept = _tags_of(container, shop.customer_id)
    assert {t: r.source.value for t, r in kept.items()} == {"by-hand": "agent", "by-rule": "rule", "VIP": "crm"}


@pytest.mark.parametrize("bad", ["", "two words", "a,b", "<b>", "x" * 41])
def test_a_bad_tag_is_refused(container, shop, bad: str) -> None:
    with transaction(container.session_factory) as s:
        fang = s.get(Customer, shop.customer_id)
        with pytest.raises(TagError) as refused:
            container.customer_tags.add(s, fang, bad, ROBOT)
        assert refused.value.field == "tag"
        with pytest.raises(TagError):
            container.customer_tags.add(s, fang, "ok", ROBOT, expires_at=utcnow() - dt.timedelta(minutes=1))
    assert _tags_of(container, shop.customer_id) == {}


# -- the customer page -------------------------------------------------------------------------------
def _agent(app: Any) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, "ann", PASSWORD)
    return client


def test_an_agent_adds_and_removes_a_tag_on_the_customer_page(app, container, shop) -> None:
    ann = _agent(app)
    page = f"/customers/{shop.customer_id}"
    token = csrf_token(ann, page)
    assert 'id="no-tags"' in ann.get(page).get_data(as_text=True)
    added = ann.post(f"{page}/tags", data={"csrf_token": token, "tag": "售后投诉", "expires_on": "2099-12-31"})
    assert added.status_code == 303 and added.headers["Location"].endswith(f"{page}#tags")
    html = ann.get(page).get_data(as_text=True)
    assert 'data-tag="售后投诉"' in html and "by hand" in html and "until Dec 31, 2099" in html
    assert "Tag 售后投诉 set." in html  # the flash
    (row,) = _tags_of(container, shop.customer_id).values()
    assert row.expires_at is not None and row.expires_at > dt.datetime(2099, 12, 31, tzinfo=dt.UTC)
    (audit,) = _audited(container, "customer_tag_added")
    assert audit.actor_name == "ann" and audit.object_id == str(shop.customer_id)
    # A bad tag or a day past: refused, said on the page, nothing kept.
    ann.post(f"{page}/tags", data={"csrf_token": token, "tag": "two words"})
    assert "is not one" in ann.get(page).get_data(as_text=True)
    ann.post(f"{page}/tags", data={"csrf_token": token, "tag": "late", "expires_on": "2001-01-01"})
    assert "The expiry must be in the future." in ann.get(page).get_data(as_text=True)
    assert set(_tags_of(container, shop.customer_id)) == {"售后投诉"}
    removed = ann.post(f"{page}/tags/remove", data={"csrf_token": token, "tag": "售后投诉"})
    assert removed.status_code == 303
    html = ann.get(page).get_data(as_text=True)
    assert 'data-tag="售后投诉"' not in html and 'id="no-tags"' in html
    assert _tags_of(container, shop.customer_id) == {}
    (gone,) = _audited(container, "customer_tag_removed")
    assert gone.actor_name == "ann"


def test_the_page_shows_source_expiry_and_segments_in_chinese(app, container, shop) -> None:
    with transaction(container.session_factory) as s:
        fang = s.get(Customer, shop.customer_id)
        container.customer_tags.add(s, fang, "complaint", ROBOT, source=TagSource.RULE)
        container.customer_tags.add(s, fang, "VIP", ROBOT, source=TagSource.CRM)
        container.customer_tags.add(s, fang, "trial", ROBOT, expires_at=utcnow() + dt.timedelta(seconds=1))
        s.flush()
        s.scalars(select(CustomerTag).where(CustomerTag.tag == "trial")).one().expires_at = \
            utcnow() - dt.timedelta(hours=1)  # past, not yet swept
        container.segments.save(s, ROBOT, {"name": "Gold complaints", "name_zh": "金卡投诉",
                                           "tags_all": "complaint", "vip_tiers": ["gold"]})
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    sign_in(client, "sue", PASSWORD)
    html = client.get(f"/customers/{shop.customer_id}").get_data(as_text=True)
    assert "由规则设置" in html and "来自客户管理系统" in html and "<s>trial</s>" in html and "已于" in html
    assert 'data-segment="Gold complaints"' in html and "金卡投诉" in html


# -- the CRM's tags through the sync API -------------------------------------------------------------
def _sync(client: Any, token: str, customers: list[dict[str, Any]]) -> Any:
    return client.post("/api/v1/customers/sync", json={"customers": customers},
                       headers={"Authorization": f"Bearer {token}"})


def test_the_sync_sets_the_crm_tags_and_a_resend_changes_nothing(client, container, shop) -> None:
    with transaction(container.session_factory) as s:
        container.customer_tags.add(s, s.get(Customer, shop.customer_id), "by-hand", ROBOT)
    record = {"external_ref": "CRM-3", "phones": ["+8613800138000"], "tags": ["VIP", "售后投诉"]}
    first = _sync(client, shop.tokens["sue"], [record]).get_json()
    assert first["results"][0]["outcome"] == "updated" and first["results"][0]["changed"] == ["external_ref", "tags"]
    again = _sync(client, shop.tokens["sue"], [record]).get_json()
    assert again["results"][0]["outcome"] == "unchanged" and again["unchanged"] == 1
    sources = {t: r.source.value for t, r in _tags_of(container, shop.customer_id).items()}
    assert sources == {"by-hand": "agent", "VIP": "crm", "售后投诉": "crm"}
    # The CRM drops one: only that one goes; a record without tags leaves them all.
    fewer = _sync(client, shop.tokens["sue"], [record | {"tags": ["VIP"]}]).get_json()
    assert fewer["results"][0]["changed"] == ["tags"]
    assert _sync(client, shop.tokens["sue"], [{"external_ref": "CRM-3"}]).get_json()["unchanged"] == 1
    assert set(_tags_of(container, shop.customer_id)) == {"by-hand", "VIP"}
    # A new customer comes with their tags; a bad tag refuses its record only.
    made = _sync(client, shop.tokens["sue"], [
        {"external_ref": "CRM-9", "name": "Jane Roe", "tags": ["gold-club"]},
        {"external_ref": "CRM-10", "name": "Bad Tag", "tags": ["two words"]}]).get_json()
    assert [r["outcome"] for r in made["results"]] == ["created", "refused"]
    assert "tags" in made["results"][1]["errors"]
    assert set(_tags_of(container, made["results"][0]["customer_id"])) == {"gold-club"}
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Customer).where(Customer.external_ref == "CRM-10")) == 0
