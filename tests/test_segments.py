"""Segments: who is in one (tags, VIP tiers, languages), what several give together, and the admin page that
makes, changes and deletes them, on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.customers.segments import Membership, Rule
from callcenter.db import transaction
from callcenter.models import AuditLog, Customer, Segment, VipTier

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

ROBOT = Actor.system("test")


def _rule(name: str, priority: int = 0, senior: bool = False, first: int | None = None,
          resolution: int | None = None, **match: Any) -> Rule:
    return Rule(0, name, "", frozenset(match.get("tags_all", ())), frozenset(match.get("tags_any", ())),
                frozenset(match.get("vip_tiers", ())), frozenset(match.get("languages", ())), priority, senior,
                first, resolution)


def test_who_is_in_a_segment(container, shop) -> None:
    segments = container.segments
    with transaction(container.session_factory) as s:
        for values in (
            {"name": "Angry gold", "tags_all": "complaint, repeat", "vip_tiers": ["gold", "platinum"]},
            {"name": "Any complaint", "tags_any": "complaint，refund"},  # a Chinese comma separates too
            {"name": "Chinese VIPs", "vip_tiers": ["gold"], "languages": ["zh"]},
            {"name": "English VIPs", "vip_tiers": ["gold"], "languages": ["en"]},
        ):
            segments.save(s, ROBOT, values)
        plain = Customer(name="Jane Roe", language="en", vip_tier=VipTier.NONE)
        s.add(plain)
        s.flush()
        plain_id = plain.id
    with container.session_factory() as s:
        fang = shop.customer_id  # 王芳: gold, Chinese
        assert segments.of_customer(s, fang, ["complaint", "repeat"]).names == [
            "Angry gold", "Any complaint", "Chinese VIPs"]
        assert segments.of_customer(s, fang, ["complaint"]).names == ["Any complaint", "Chinese VIPs"]
        assert segments.of_customer(s, fang, []).names == ["Chinese VIPs"]
        assert segments.of_customer(s, plain_id, ["complaint", "repeat"]).names == ["Any complaint"]
        assert segments.of_customer(s, plain_id, ["refund"]).names == ["Any complaint"]
        assert segments.of_customer(s, plain_id, []).names == []
        assert segments.of_customer(s, None).names == []
    # Without tags given, the customer's active tags are read.
    with transaction(container.session_factory) as s:
        container.customer_tags.add(s, s.get(Customer, plain_id), "refund", ROBOT)
    with container.session_factory() as s:
        assert segments.of_customer(s, plain_id).names == ["Any complaint"]


def test_what_several_segments_give_together() -> None:
    both = Membership((_rule("a", 20, False, 60, 480), _rule("b", 50, True, None, 240), _rule("c", 10)))
    assert both.queue_priority == 50 and both.senior
    assert both.sla_minutes == (60, 240)  # the strictest of each
    assert Membership().queue_priority == 0 and not Membership().senior and Membership().sla_minutes == (None, None)
    assert _rule("x", tags_all={"a"}, tags_any={"b", "c"}).holds({"a", "c"}, "none", "en")
    assert not _rule("x", tags_all={"a"}, tags_any={"b", "c"}).holds({"a"}, "none", "en")
    assert not _rule("x", vip_tiers={"gold"}).holds(set(), "silver", "en")
    assert not _rule("x", vip_tiers={"gold"}, languages={"zh"}).holds(set(), "gold", "en")


def _signed_in(app: Any, who: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, who, PASSWORD)
    return client


def test_the_admin_page_makes_changes_and_deletes_a_segment(app, container, shop) -> None:
    ada = _signed_in(app, "ada")
    empty = ada.get("/admin/segments").get_data(as_text=True)
    assert 'id="no-segments"' in empty and "a group of customers chosen by their tags" in empty
    assert 'href="/admin/segments"' in ada.get("/admin/").get_data(as_text=True)
    token = csrf_token(ada, "/admin/segments")
    form = {"csrf_token": token, "name": "Gold complaints", "name_zh": "金卡投诉", "tags_all": "complaint",
            "vip_tiers": ["gold", "platinum"], "queue_priority": "80", "senior": "1",
            "first_response_minutes": "30", "resolution_minutes": "480", "note": "Keep them"}
    made = ada.post("/admin/segments", data=form)
    assert made.status_code == 303
    with container.session_factory() as s:
        segment = s.scalars(select(Segment)).one()
        assert (segment.tags_all, sorted(segment.vip_tiers), segment.queue_priority, segment.senior,
                segment.first_response_minutes, segment.resolution_minutes) == (
            ["complaint"], ["gold", "platinum"], 80, True, 30, 480)
        segment_id = segment.id
    with transaction(container.session_factory) as s:
        container.customer_tags.add(s, s.get(Customer, shop.customer_id), "complaint", ROBOT)
    listing = ada.get("/admin/segments").get_data(as_text=True)
    assert 'data-segment="Gold complaints"' in listing and "<td>1</td>" in listing  # 王芳 is in it now
    # Bad input: each error beside its field, what was typed kept, nothing changed.
    bad = ada.post(f"/admin/segments/{segment_id}", data=form | {"queue_priority": "500", "tags_all": "two words"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert 'data-field="tags_all"' in html and "two words" in html
    bad = ada.post(f"/admin/segments/{segment_id}", data=form | {"queue_priority": "500"})
    assert bad.status_code == 400 and 'data-field="queue_priority"' in bad.get_data(as_text=True)
    assert "Give a whole number from 0 to 100." in bad.get_data(as_text=True)
    bad = ada.post("/admin/segments", data=form | {"name": "Gold complaints"})
    assert bad.status_code == 400 and 'data-field="name"' in bad.get_data(as_text=True)
    nothing = ada.post("/admin/segments", data={"csrf_token": token, "name": "Nobody"})
    assert nothing.status_code == 400 and 'data-field="tags_all"' in nothing.get_data(as_text=True)
    changed = ada.post(f"/admin/segments/{segment_id}", data=form | {"queue_priority": "60", "senior": ""})
    assert changed.status_code == 303
    with container.session_factory() as s:
        segment = s.get(Segment, segment_id)
        assert segment.queue_priority == 60 and not segment.senior
    page = ada.get(f"/admin/segments/{segment_id}").get_data(as_text=True)
    assert 'value="60"' in page and "Keep them" in page
    assert ada.post(f"/admin/segments/{segment_id}/delete", data={"csrf_token": token}).status_code == 303
    with container.session_factory() as s:
        assert s.scalars(select(Segment)).all() == []
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.object_type == "segment")
                                 .order_by(AuditLog.id)))
    assert actions == ["segment_created", "segment_changed", "segment_deleted"]


def test_a_supervisor_may_an_agent_may_not(app, shop) -> None:
    assert _signed_in(app, "sue").get("/admin/segments").status_code == 200
    ann = _signed_in(app, "ann")
    assert ann.get("/admin/segments").status_code == 403
    token = csrf_token(ann, f"/customers/{shop.customer_id}")
    assert ann.post("/admin/segments", data={"csrf_token": token, "name": "x", "tags_all": "a"}).status_code == 403
