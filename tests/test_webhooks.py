"""Outbound webhooks on SQLite and PostgreSQL, against a real HTTP receiver that verifies every delivery with the
Standard Webhooks reference library: written with the change or not at all, signed, in order per ticket,
retried while the receiver is down, and each delivered once by several senders, one of them killed."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import (
    AuditLog,
    DeliveryStatus,
    Role,
    Ticket,
    TicketStatus,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from callcenter.webhooks.endpoints import WebhookError
from callcenter.webhooks.sender import Claimed, Sender, headers
from callcenter.wiring import Container
from tests.support.receiver import Receiver

SUBJECT = "包裹卡在中转站，物流三天没更新 — “急”"


@pytest.fixture
def admin(container: Container) -> Actor:
    with transaction(container.session_factory) as s:
        ada = User(username="ada", role=Role.ADMIN, password_hash="x", display_name="Ada")
        s.add(ada)
    return Actor.of(ada)


def _endpoint(container: Container, admin: Actor, url: str, events: tuple[str, ...] = ("ticket_created",
                                                                                        "ticket_updated")) -> str:
    with transaction(container.session_factory) as s:
        endpoint = container.webhook_endpoints.save(s, admin, name="CRM", url=url, wanted=events)
        return endpoint.secret


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    held = Receiver(secret="whsec_" + "A" * 43 + "=")  # replaced by the endpoint's own once it exists
    yield held
    held.stop()


def _tickets(container: Container, count: int) -> list[int]:
    with transaction(container.session_factory) as s:
        made = [container.tickets.create(s, Actor.system("test"), subject=f"{SUBJECT} {i}") for i in range(count)]
        s.flush()
        return [t.id for t in made]


def _change(container: Container, ids: list[int], status: TicketStatus) -> None:
    for ticket_id in ids:
        with transaction(container.session_factory) as s:
            ticket = s.get(Ticket, ticket_id)
            assert ticket is not None
            container.tickets.change(s, ticket, Actor.system("test"), status=status)


def _sender(container: Container, **settings: float) -> Sender:
    sender = container.service("webhooks")
    assert isinstance(sender, Sender)
    sender.settings = sender.settings.model_copy(update=settings)
    return sender


def _drain(sender: Sender, until: float = 30.0) -> None:
    with sender.client() as client:
        deadline = time.monotonic() + until
        while sender.run_once(client):
            assert time.monotonic() < deadline


def _deliveries(s: Session, *where) -> int:
    return s.scalar(select(func.count()).select_from(WebhookDelivery).where(*where)) or 0


def test_a_delivery_verifies_with_the_reference_library_and_a_tampered_or_stale_one_does_not(
        container: Container, admin: Actor, receiver: Receiver) -> None:
    receiver.start()
    receiver.secret = _endpoint(container, admin, receiver.url)
    [ticket_id] = _tickets(container, 1)
    _drain(_sender(container))
    [got] = receiver.accepted
    assert got.content_type == "application/json; charset=utf-8"
    assert got.payload["type"] == "ticket_created" and got.payload["data"]["ticket_id"] == ticket_id
    assert got.payload["data"]["ticket"]["subject"] == f"{SUBJECT} 0"
    assert f"{SUBJECT} 0".encode() in got.raw  # UTF-8 as written, not \\u escapes
    with container.session_factory() as s:
        delivery = s.scalars(select(WebhookDelivery)).one()
        assert delivery.status is DeliveryStatus.DELIVERED and delivery.message_id == got.message_id
        assert s.scalar(select(WebhookAttempt.status_code)) == 200
        claimed = Claimed(delivery.id, delivery.endpoint_id, receiver.url, receiver.secret, delivery.message_id,
                          delivery.body, 1, delivery.created_at, False)
    now = dt.datetime.now(dt.UTC)
    tampered = claimed.body.replace(f"{SUBJECT} 0", f"{SUBJECT} 1")
    stale = headers(claimed, now - dt.timedelta(minutes=10))
    answers = [httpx.post(receiver.url, content=tampered.encode(), headers=headers(claimed, now)).status_code,
               httpx.post(receiver.url, content=claimed.body.encode(), headers=stale).status_code]
    assert answers == [401, 401]
    assert [why for _, why in receiver.refused] == ["No matching signature found", "Message timestamp too old"]


def test_a_change_has_its_deliveries_only_if_it_commits(container: Container, admin: Actor,
                                                        receiver: Receiver) -> None:
    _endpoint(container, admin, receiver.url, events=("ticket_updated",))
    [ticket_id] = _tickets(container, 1)  # ticket_created: not asked for
    with container.session_factory() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        container.tickets.change(s, ticket, Actor.system("test"), status=TicketStatus.PENDING)
        s.rollback()
    _change(container, [ticket_id], TicketStatus.RESOLVED)
    with container.session_factory() as s:
        [body] = s.scalars(select(WebhookDelivery.body)).all()
    data = json.loads(body)["data"]
    assert data["fields"] == ["status"] and data["ticket"]["status"] == "resolved"


def test_the_receiver_down_then_up_gets_everything_in_order_per_ticket_and_once(
        container: Container, admin: Actor, receiver: Receiver) -> None:
    receiver.start()
    receiver.secret = _endpoint(container, admin, receiver.url)
    receiver.stop()  # down: its port refuses connections
    ids = _tickets(container, 100)
    _change(container, ids, TicketStatus.PENDING)
    _change(container, ids, TicketStatus.RESOLVED)
    sender = _sender(container, first_retry_seconds=0.2, max_retry_minutes=0.01, workers=3)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while True:  # a few rounds of refused posts, backing off
            with container.session_factory() as s:
                if (s.scalar(select(func.count()).select_from(WebhookAttempt)) or 0) >= 200:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert receiver.accepted == []
        receiver.start()
        deadline = time.monotonic() + 60
        while len(receiver.accepted) < 300:
            assert time.monotonic() < deadline, f"{len(receiver.accepted)} of 300 arrived"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert len(set(receiver.ids())) == len(receiver.ids()) == 300
    arrived: dict[int, list[str]] = defaultdict(list)
    for got in receiver.accepted:
        data = got.payload["data"]
        arrived[data["ticket_id"]].append(data["ticket"]["status"] if got.payload["type"] == "ticket_updated"
                                          else "created")
        assert data["ticket"]["subject"].startswith(SUBJECT)
    assert set(arrived) == set(ids)
    # In order per ticket: created, then each change (the snapshot is as each change left the ticket).
    assert all(seen == ["created", "pending", "resolved"] for seen in arrived.values())
    with container.session_factory() as s:
        assert _deliveries(s, WebhookDelivery.status == DeliveryStatus.DELIVERED) == 300


def test_a_delivery_out_of_retries_is_dead_its_endpoint_failing_and_a_replay_sends_it_again(
        container: Container, admin: Actor, receiver: Receiver) -> None:
    receiver.start()
    receiver.secret = _endpoint(container, admin, receiver.url)
    receiver.status = 500
    _tickets(container, 1)
    _drain(_sender(container, give_up_hours=0.0))  # given up at the first failure
    with container.session_factory() as s:
        delivery = s.scalars(select(WebhookDelivery)).one()
        endpoint = s.scalars(select(WebhookEndpoint)).one()
        assert delivery.status is DeliveryStatus.DEAD and delivery.last_status == 500
        assert endpoint.failing_since is not None
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "webhook_failing")) == "webhook_failing"
    receiver.status = 200
    with transaction(container.session_factory) as s:
        endpoint = s.scalars(select(WebhookEndpoint)).one()
        assert container.webhook_endpoints.replay(s, admin, endpoint, delivery_id=delivery.id) == 1
    _drain(_sender(container))
    assert receiver.ids() == [delivery.message_id] * 2  # the same webhook-id: the receiver knows it again
    with container.session_factory() as s:
        assert s.scalars(select(WebhookEndpoint.failing_since)).one() is None
        assert _deliveries(s, WebhookDelivery.status == DeliveryStatus.DELIVERED) == 1


def test_bad_set_ups_are_refused_with_why(container: Container, admin: Actor) -> None:
    for kw, code in (({"url": "ftp://crm.example.com/hook"}, "bad_url"),
                     ({"url": "https://crm.example.com/a\r\nX: y"}, "bad_url"),
                     ({"wanted": ["ticket_exploded"]}, "unknown_event"),
                     ({"wanted": []}, "required"),
                     ({"name": ""}, "bad_name")):
        args: dict[str, Any] = {"name": "CRM", "url": "https://crm.example.com/hook", "wanted": ["ticket_created"]}
        with transaction(container.session_factory) as s, pytest.raises(WebhookError) as refused:
            container.webhook_endpoints.save(s, admin, **(args | kw))
        assert refused.value.code == code, kw
    with transaction(container.session_factory) as s:
        agent = User(username="ann", role=Role.AGENT, password_hash="x", display_name="Ann")
        s.add(agent)
        s.flush()
        with pytest.raises(WebhookError) as refused:
            container.webhook_endpoints.save(s, Actor.of(agent), name="Mine", url="https://x.example.com",
                                             wanted=["ticket_created"])
        assert refused.value.code == "forbidden"


def test_two_senders_one_killed_mid_batch_deliver_each_once(container: Container, admin: Actor, receiver: Receiver,
                                                            db_url: str, tmp_path: Path) -> None:
    receiver.start()
    receiver.secret = _endpoint(container, admin, receiver.url)
    ids = _tickets(container, 200)
    _change(container, ids[:100], TicketStatus.PENDING)
    env = {**os.environ, "CALLCENTER_CONFIG": str(tmp_path / "absent.toml"),
           "CALLCENTER_INSTANCE_DIR": str(tmp_path / "instance"), "CALLCENTER_DATABASE__URL": db_url,
           "CALLCENTER_LAB__ENABLED": "false", "CALLCENTER_WEBHOOKS__LEASE_SECONDS": "6",
           "CALLCENTER_WEBHOOKS__TIMEOUT_SECONDS": "2", "CALLCENTER_WEBHOOKS__WORKERS": "2",
           "CALLCENTER_WEBHOOKS__BATCH": "10"}

    def sender() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "callcenter", "webhooks"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    first, second = sender(), sender()
    try:
        deadline = time.monotonic() + 60
        while len(receiver.accepted) < 60:
            assert time.monotonic() < deadline and first.poll() is None, "no deliveries"
            time.sleep(0.01)
        os.killpg(first.pid, signal.SIGKILL)  # mid-batch: its unposted claims wait for their lease to pass
        first.wait(10)
        deadline = time.monotonic() + 90
        while True:
            with container.read_session_factory() as s:
                if _deliveries(s, WebhookDelivery.status == DeliveryStatus.PENDING) == 0:
                    break
            assert time.monotonic() < deadline and second.poll() is None, "the deliveries did not all go"
            time.sleep(0.2)
    finally:
        for process in (first, second):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    posted = receiver.ids()
    with container.session_factory() as s:
        owed = set(s.scalars(select(WebhookDelivery.message_id)))
        assert _deliveries(s, WebhookDelivery.status == DeliveryStatus.DELIVERED) == len(owed) == 300
    assert set(posted) == owed  # every one arrived
    # A post answered just before the kill, but not yet recorded, is posted again under the same webhook-id
    # (at most one per worker thread of the killed sender); nothing else is posted twice.
    again = len(posted) - len(set(posted))
    assert again <= 2, f"{again} posted twice"


def test_after_a_merge_the_payload_says_where_the_ticket_went(container: Container, admin: Actor) -> None:
    _endpoint(container, admin, "https://crm.example.com/hooks", events=("ticket_merged", "ticket_updated"))
    source_id, target_id = _tickets(container, 2)
    with transaction(container.session_factory) as s:
        source, target = s.get(Ticket, source_id), s.get(Ticket, target_id)
        assert source is not None and target is not None
        container.merges.merge(s, admin, source, target)
        target_number = target.number
    with container.session_factory() as s:
        bodies = [json.loads(b) for b in s.scalars(select(WebhookDelivery.body).order_by(WebhookDelivery.id))]
    about_source = [b for b in bodies if b["data"]["ticket_id"] == source_id]
    assert about_source and all(b["data"]["ticket"]["merged_into"] == target_number for b in about_source)
    assert {b["type"] for b in about_source} >= {"ticket_merged"}
