"""Click-to-call through the desk route, on SQLite and PostgreSQL, without a PBX that answers.

What must hold before anything reaches Asterisk: the number belongs to the
ticket and passes the dialling policy (refusals audited, worded in the
user's language), a live call to the same number is handed back instead of
dialled again, and a PBX that cannot be reached fails cleanly.
"""
from __future__ import annotations

import datetime as dt
import socket

import pytest
from sqlalchemy import func, select

from callcenter import migrations
from callcenter.access.audit import Actor
from callcenter.callcontrol.errors import CallControlError
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import (
    AuditLog,
    Callback,
    CallbackSource,
    CallbackStatus,
    ClickCall,
    ClickStatus,
    CustomerPhone,
    Ticket,
    User,
    utcnow,
)
from callcenter.wiring import Container

from .deskdata import build
from .support.rows import row
from .webtools import csrf_token, sign_in

NUMBER, PREMIUM = "+12025550188", "+19005550123"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def desk(db_url: str, tmp_path, _templates):
    """The shop on a container whose one PBX listens nowhere (the AMI link stays down)."""
    settings = Settings(instance_dir=tmp_path / "instance", database={"url": db_url}, lab={"enabled": False},
                        web={"secret_key": "test-secret-key", "port": 0},
                        recordings={"dir": tmp_path / "recordings"},
                        pbx=[{"name": "down", "host": "127.0.0.1", "port": _closed_port(), "secret": "x"}])
    _templates.prepare(db_url)
    container = Container(settings)
    migrations.upgrade(container.engine)
    shop = build(container.session_factory, tmp_path / "recordings")
    with transaction(container.session_factory) as s:
        s.add_all([CustomerPhone(customer_id=shop.customer_id, number=NUMBER),
                   CustomerPhone(customer_id=shop.customer_id, number=PREMIUM)])
        ids = {"ticket": s.scalars(select(Ticket.id).where(Ticket.number == shop.ticket_number)).one(),
               "other_ticket": s.scalars(select(Ticket.id).where(Ticket.number == shop.other_ticket_number)).one()}
    yield container, shop, ids
    container.close()


@pytest.fixture
def web(desk):
    from web import create_app

    container, _, ids = desk
    client = create_app(container=container, test_config={"TESTING": True}).test_client()
    sign_in(client, "ann")
    return client, csrf_token(client, "/tickets/"), container, ids


def _dial(client, token: str, **body):
    return client.post("/desk/dial", json=body, headers={"X-CSRFToken": token})


def test_premium_number_is_refused_in_both_languages_and_audited(web) -> None:
    client, token, container, ids = web
    resp = _dial(client, token, key="k" * 16, number=PREMIUM, ticket_id=ids["ticket"])
    assert resp.status_code == 422 and resp.get_json()["error"] == "refused"
    assert "dialling policy does not allow this kind of number" in resp.get_json()["message"]
    client.post("/language", data={"lang": "zh", "csrf_token": token})
    zh = _dial(client, token, key="z" * 16, number=PREMIUM, ticket_id=ids["ticket"]).get_json()
    assert zh["error"] == "refused" and "拨号策略不允许拨打此类号码" in zh["message"]
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ClickCall)) == 0
        refusals = s.scalars(select(AuditLog).where(AuditLog.action == "dial_refused")).all()
        assert len(refusals) == 2 and {r.detail["purpose"] for r in refusals} == {"click_to_call"}


def test_only_numbers_of_the_ticket_and_only_visible_tickets(web) -> None:
    client, token, container, ids = web
    stranger = _dial(client, token, key="s" * 16, number="+12025550199", ticket_id=ids["ticket"])
    assert stranger.status_code == 422 and stranger.get_json()["error"] == "unknown_number"
    hidden = _dial(client, token, key="h" * 16, number=NUMBER, ticket_id=ids["other_ticket"])
    assert hidden.status_code == 403  # bob's ticket: not ann's to see
    with container.session_factory() as s:
        denied = s.scalars(select(AuditLog).where(AuditLog.outcome == "denied")).all()
        assert [(d.object_type, d.object_id) for d in denied] == [("ticket", str(ids["other_ticket"]))]
        assert s.scalar(select(func.count()).select_from(ClickCall)) == 0


def test_pbx_down_fails_cleanly_and_frees_the_number(web) -> None:
    client, token, container, ids = web
    resp = _dial(client, token, key="d" * 16, number=NUMBER, ticket_id=ids["ticket"])
    assert resp.status_code == 503 and resp.get_json()["error"] == "link_down"
    assert "nothing was dialled" in resp.get_json()["message"]
    with container.session_factory() as s:
        click = s.scalars(select(ClickCall)).one()
        assert click.status is ClickStatus.FAILED and click.live_slot is None and click.sent_at is None
        audit_row = s.scalars(select(AuditLog).where(AuditLog.action == "click_to_call")).one()
        assert audit_row.outcome == "failed" and audit_row.detail["why"] == "link_down"


def test_a_live_call_to_the_number_is_handed_back_not_dialled(desk) -> None:
    """A second button (another key) for a number the agent is already calling returns that call."""
    container, shop, ids = desk
    with transaction(container.session_factory) as s:
        ann = row(s, User, shop.users["ann"])
        live = ClickCall(idempotency_key=f"{ann.id}:earlier-key", live_slot=f"{ann.id}:{NUMBER}", agent_id=ann.id,
                         number=NUMBER, ticket_id=ids["ticket"], pbx="down", originate_key="ab" * 16,
                         status=ClickStatus.DIALLING, created_at=utcnow() - dt.timedelta(seconds=5))
        s.add(live)
        s.flush()
        live_id = live.id
        s.expunge(ann)
    placed = container.click_to_call.place(Actor.of(ann), "another-key-1", NUMBER, ticket_id=ids["ticket"])
    assert placed.again and placed.click_id == live_id
    # Once the earlier click is over (no call appeared for LIVE_HOLD), the number may be dialled again.
    with transaction(container.session_factory) as s:
        row(s, ClickCall, live_id).created_at = utcnow() - dt.timedelta(minutes=5)
    with pytest.raises(CallControlError) as down:
        container.click_to_call.place(Actor.of(ann), "third-key-123", NUMBER, ticket_id=ids["ticket"])
    assert down.value.code == "link_down"
    with container.session_factory() as s:
        assert row(s, ClickCall, live_id).live_slot is None
        assert s.scalar(select(func.count()).select_from(ClickCall)) == 2


def test_transfer_out_passes_the_dialling_policy_first(web) -> None:
    """A blind transfer to an outside number is checked before anything reaches Asterisk."""
    client, token, container, _ = web
    resp = client.post("/desk/transfer", json={"mode": "blind", "kind": "number", "target": PREMIUM},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 422 and resp.get_json()["error"] == "refused"
    queue = client.post("/desk/transfer", json={"mode": "blind", "kind": "queue", "target": "nosuch"},
                        headers={"X-CSRFToken": token})
    assert queue.status_code == 422 and queue.get_json()["error"] == "unknown_target"
    attended = client.post("/desk/transfer", json={"mode": "attended", "kind": "queue", "target": "support"},
                           headers={"X-CSRFToken": token})
    assert attended.status_code == 400  # consulting goes to a colleague only
    with container.session_factory() as s:
        refusal = s.scalars(select(AuditLog).where(AuditLog.action == "dial_refused")).one()
        assert refusal.detail["purpose"] == "transfer" and refusal.object_id == PREMIUM
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "call_transfer")) == 0


def test_a_callback_the_dispatcher_is_dialling_is_not_dialled_again(web) -> None:
    client, token, container, ids = web
    with transaction(container.session_factory) as s:
        callback = Callback(number=NUMBER, source=CallbackSource.IVR, ticket_id=ids["ticket"],
                            status=CallbackStatus.DIALING, due_at=utcnow())
        s.add(callback)
        s.flush()
        callback_id = callback.id
    resp = _dial(client, token, key="c" * 16, callback_id=callback_id)
    assert resp.status_code == 409 and resp.get_json()["error"] == "already_dialling"
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ClickCall)) == 0


@pytest.mark.parametrize("keys", [("same-key-0001", "same-key-0001"), ("first-key-001", "second-key-02")])
def test_concurrent_clicks_claim_one_call(desk, keys) -> None:
    """Two requests at once (a double click, or two buttons for one number): one row, one Originate."""
    import threading

    container, shop, ids = desk
    with transaction(container.session_factory) as s:
        ann = row(s, User, shop.users["ann"])
        s.expunge(ann)
    start, results = threading.Barrier(2), []

    def click(key: str) -> None:
        start.wait()
        try:
            results.append(container.click_to_call.place(Actor.of(ann), key, NUMBER, ticket_id=ids["ticket"]))
        except CallControlError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=click, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # The winner tried to dial (the PBX is down); the other got the winner's call back.
    assert sorted(str(getattr(r, "again", r)) for r in results) == ["True", "link_down"], results
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ClickCall)) == 1


def test_a_supervisor_monitors_only_their_own_teams(desk) -> None:
    from web import create_app

    container, shop, _ = desk
    app = create_app(container=container, test_config={"TESTING": True})
    for who, status in (("sam", 403), ("sue", 503)):  # sam leads no team; sue leads ann's (the PBX is down)
        client = app.test_client()
        sign_in(client, who)
        resp = client.post("/wallboard/monitor", json={"agent_id": shop.users["ann"]},
                           headers={"X-CSRFToken": csrf_token(client, "/tickets/")})
        assert resp.status_code == status, (who, resp.get_data(as_text=True))
    with container.session_factory() as s:
        refused = s.scalars(select(AuditLog).where(AuditLog.action == "monitor_refused")).one()
        assert refused.actor_name == "sam" and refused.object_id == str(shop.users["ann"])
