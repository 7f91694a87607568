"""Admin › queues in the browser's place (Flask client, SQLite and PostgreSQL): create with the hours grid,
errors beside their fields in the reader's language with nothing typed lost, edit, retire, the API."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from callcenter.db import transaction
from callcenter.forms import catalog
from callcenter.models import AuditLog, Queue

from .deskdata import PASSWORD
from .webtools import csrf_token, make_user, sign_in

GRID = {"hours_mode": "own", **{f"open_{d}": ["0", "1"] for d in ("mon", "tue", "wed", "thu", "fri")},
        **{f"open_{d}": "0" for d in ("sat", "sun")},
        **{f"from_{d}": "08:30" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        **{f"to_{d}": "17:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}


def _queue(session_factory: Any, name: str) -> Queue | None:
    with session_factory() as s:
        found: Queue | None = s.scalar(select(Queue).where(Queue.name == name))
        return found


def test_an_admin_creates_a_queue_with_its_own_hours(client: Any, shop: Any, session_factory: Any) -> None:
    with transaction(session_factory) as s:
        catalog.sync_files(s)
    sign_in(client, "ada", PASSWORD)
    form = client.get("/admin/queues/new").get_data(as_text=True)
    assert 'name="hours_mode"' in form and 'id="hours-grid"' in form and "queues.js" in form
    token = csrf_token(client, "/admin/queues/new")
    resp = client.post("/admin/queues/new", data={
        "csrf_token": token, "name": "vip", "display_name": "VIP line", "display_name_zh": "贵宾专线",
        "team": "Support team", "did": "+1 202 555 0100", "default_form": "billing", "service_level_seconds": "15",
        "service_level_target": "90", "recording": ["0"], "monitoring_allowed": ["0", "1"], **GRID})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/admin/queues/vip/edit")
    q = _queue(session_factory, "vip")
    assert q is not None and q.managed and not q.recording and q.monitoring_allowed
    assert (q.did, q.default_form, q.service_level_target) == ("+12025550100", "billing", 90)
    assert q.business_hours["mon"] == "08:30-17:00" and q.business_hours["sat"] == ""
    listing = client.get("/admin/queues").get_data(as_text=True)
    assert "VIP line" in listing and "+12025550100" in listing and "Mon–Fri 08:30–17:00" in listing
    assert "90% within 15 s" in listing and "No PBX is configured" in listing
    with session_factory() as s:
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "queue_created"))
        assert entry is not None and entry.actor_name == "ada" and entry.detail["via"] == "web"


def test_errors_are_said_beside_their_fields_in_chinese_and_nothing_typed_is_lost(client: Any, shop: Any) -> None:
    sign_in(client, "ada", PASSWORD)
    token = csrf_token(client, "/admin/queues/new")
    client.post("/language", data={"lang": "zh", "csrf_token": token})
    resp = client.post("/admin/queues/new", data={
        "csrf_token": token, "name": "support", "display_name": "Hotline", "did": "100",
        "service_level_target": "250", "hours_mode": "own", "open_mon": ["0", "1"], "from_mon": "18:00",
        "to_mon": "09:00"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "已有名为 support 的队列。" in html  # the name is taken
    assert "100 是拨号方案自身接听的号码（总机）。" in html
    assert "请输入 1 到 100 之间的整数。" in html
    assert "mon：营业时间格式为 HH:MM-HH:MM" in html
    assert 'value="Hotline"' in html and 'value="18:00"' in html and 'value="250"' in html


def test_edit_then_retire_and_supervisors_only_look(client: Any, shop: Any, session_factory: Any) -> None:
    sign_in(client, "ada", PASSWORD)
    token = csrf_token(client, "/admin/queues/sales/edit")
    resp = client.post("/admin/queues/sales/edit", data={"csrf_token": token, "did": "5550199",
                                                         "hours_mode": "centre", "recording": ["0", "1"]})
    assert resp.status_code == 303
    q = _queue(session_factory, "sales")
    assert q is not None and q.did == "5550199" and q.business_hours == {} and q.recording
    assert client.post("/admin/queues/sales/retire", data={"csrf_token": token}).status_code == 303
    listing = client.get("/admin/queues").get_data(as_text=True)
    assert 'class="retired" data-queue="sales"' in listing
    refused = client.post("/admin/queues/support/retire", data={"csrf_token": token}, follow_redirects=True)
    assert "it cannot be retired" in refused.get_data(as_text=True)

    supervisor = client.application.test_client()
    sign_in(supervisor, "sue", PASSWORD)
    page = supervisor.get("/admin/queues/sales/edit").get_data(as_text=True)
    assert "<fieldset disabled>" in page and "queue-retire" not in page and "New queue" not in page
    assert supervisor.post("/admin/queues/sales/edit", data={"csrf_token": token}).status_code in (400, 403)


def test_the_empty_state_says_where_queues_come_from(client: Any, session_factory: Any) -> None:
    make_user(session_factory, "root", "admin", PASSWORD)
    sign_in(client, "root", PASSWORD)
    html = client.get("/admin/queues").get_data(as_text=True)
    assert 'id="queues-empty"' in html and "Find Asterisk’s queues" in html


def test_the_api_lists_creates_patches_and_retires(client: Any, shop: Any, session_factory: Any) -> None:
    with transaction(session_factory) as s:
        catalog.sync_files(s)
    admin = {"Authorization": f"Bearer {shop.tokens['ada']}"}
    created = client.post("/api/v1/queues", headers=admin, json={
        "name": "vip", "display_name": "VIP", "team": "Support team", "business_hours": {"sat": "24h"},
        "recording": False, "did": "5550100", "default_form": "sales"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["team"], body["managed"], body["recording"], body["business_hours"]["sat"]) == (
        "Support team", True, False, "24h")
    assert client.post("/api/v1/queues", headers=admin, json={"name": "vip"}).status_code == 409
    bad = client.post("/api/v1/queues", headers=admin, json={"name": "x", "did": "12ab", "language": "fr"})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"did", "language"}
    patched = client.patch("/api/v1/queues/vip", headers=admin, json={"did": None, "is_active": False})
    assert patched.status_code == 200 and patched.get_json()["did"] is None and not patched.get_json()["is_active"]
    assert client.get("/api/v1/queues/nope", headers=admin).status_code == 404
    listed = client.get("/api/v1/queues?limit=2", headers=admin).get_json()
    assert listed["total"] == 3 and [q["name"] for q in listed["items"]] == ["sales", "support"]
    agent = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    assert client.get("/api/v1/queues", headers=agent).status_code == 403


def test_the_wallboard_shows_each_queue_against_its_own_target(container: Any, shop: Any) -> None:
    from web.wallboard.state import Wallboard

    with transaction(container.session_factory) as s:
        support = s.scalars(select(Queue).where(Queue.name == "support")).one()
        support.service_level_target, support.service_level_seconds = 95, 10
        s.scalars(select(Queue).where(Queue.name == "sales")).one().is_active = False
    snap = Wallboard(container.bus, container.session_factory).snapshot()
    assert [(q["name"], q["target"], q["target_seconds"]) for q in snap["queues"]] == [("support", 0.95, 10)]
