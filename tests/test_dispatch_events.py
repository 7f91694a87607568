"""Tickets from the REST API reach the dispatcher by event, as fast as the desk's: no waiting for a reconcile.

The dispatcher runs in this process with the container's bus (in-process on
SQLite, LISTEN/NOTIFY on PostgreSQL) and a reconcile interval of an hour, so
after its first sweep at start-up only an event can make it look at a new
ticket.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.config import Settings
from callcenter.dispatch.service import DispatcherService
from callcenter.events import TicketCreated
from callcenter.models import Ticket, TicketChange
from callcenter.wiring import Container
from tests.deskdata import PASSWORD
from tests.webtools import csrf_token, sign_in

WAIT = 15.0


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(instance_dir=tmp_path / "instance", database={"url": db_url}, lab={"enabled": False},
                    web={"secret_key": "test-secret-key", "port": 0}, recordings={"dir": tmp_path / "recordings"},
                    dispatch={"scheduler": {"reconcile_seconds": 3600, "leader_poll_seconds": 0.2}})


@pytest.fixture
def dispatcher(container: Container, shop) -> Iterator[DispatcherService]:
    service = DispatcherService(container.settings, container.engine, container.session_factory, container.bus,
                                container.callbacks, dialer_factory=lambda _settings: None)
    service.start()
    assert service.active.wait(WAIT), "the dispatcher did not become active"
    time.sleep(0.5)  # its first reconcile (at start) is behind it
    yield service
    service.stop()


def _wait_for(container: Container, number: str, done) -> Ticket:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with container.session_factory() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.number == number))
            if ticket is not None and done(ticket):
                return ticket
        time.sleep(0.1)
    raise AssertionError(f"ticket {number} was not handled within {WAIT} s")


def test_a_ticket_made_through_the_api_is_assigned_by_event(client, container, shop, dispatcher) -> None:
    heard: list[TicketCreated] = []
    container.bus.subscribe(TicketCreated, lambda m: heard.append(m.event))
    started = time.monotonic()
    resp = client.post("/api/v1/tickets", json={"subject": "Invoice wrong", "priority": "high"},
                       headers={"Authorization": f"Bearer {shop.tokens['sue']}"})
    assert resp.status_code == 201, resp.get_json()
    number = resp.get_json()["number"]
    ticket = _wait_for(container, number, lambda t: t.assignee_id is not None and t.first_response_due_at)
    assert time.monotonic() - started < WAIT  # far sooner than the hour until the next reconcile
    with container.session_factory() as s:
        change = s.scalar(select(TicketChange).where(TicketChange.ticket_id == ticket.id,
                                                     TicketChange.field == "assignee_id"))
        assert change is not None and change.reason.startswith("dispatcher (")
    assert [(e.number, e.source, e.actor) for e in heard] == [(number, "api", "sue")]


def test_a_ticket_filed_at_the_desk_gets_its_timers_by_event_too(app, container, shop, dispatcher) -> None:
    client = app.test_client()
    sign_in(client, "ann", PASSWORD)
    resp = client.post(f"/desk/calls/{shop.call_id}/submit", data={
        "csrf_token": csrf_token(client, "/desk/"), "subject": "No dial tone", "description": "since this morning",
        "product": "broadband", "priority": "normal"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    number = resp.get_json()["ticket_number"]
    ticket = _wait_for(container, number, lambda t: t.first_response_due_at is not None)
    assert ticket.assignee_id == shop.users["ann"]  # the agent who filed it keeps it


def test_the_api_and_the_desk_publish_the_same_event(client, container, shop) -> None:
    """No dispatcher here: what the bus carries is the proof that both paths announce the ticket."""
    heard: list[TicketCreated] = []
    container.bus.subscribe(TicketCreated, lambda m: heard.append(m.event))
    resp = client.post("/api/v1/tickets", json={"subject": "From the CRM"},
                       headers={"Authorization": f"Bearer {shop.tokens['ann']}"})
    assert resp.status_code == 201
    deadline = time.monotonic() + WAIT
    while not heard and time.monotonic() < deadline:
        time.sleep(0.05)
    assert heard and heard[0].ticket_id == resp.get_json()["id"] and heard[0].source == "api"


def test_calls_joining_a_queue_reach_the_call_surge_watch_by_event(container, shop) -> None:
    """The bridge's call_queued events: the dispatcher has the queue's calls checked, and a surge of them
    (with no usual to speak of) becomes a proposed incident for the queue."""
    import datetime as dt

    from callcenter.db import transaction
    from callcenter.events import CallQueued
    from callcenter.models import Call, Incident, IncidentStatus, utcnow

    container.settings.problems.surge_count = 5
    now = utcnow()
    with transaction(container.session_factory) as s:
        for n in range(6):
            s.add(Call(pbx="lab", linkedid=f"outage.{n}", queue_name="support",
                       started_at=now - dt.timedelta(minutes=n)))
    service = DispatcherService(container.settings, container.engine, container.session_factory, container.bus,
                                container.callbacks, dialer_factory=lambda _settings: None,
                                incidents=container.incidents)
    service.start()
    try:
        assert service.active.wait(WAIT), "the dispatcher did not become active"
        container.bus.publish(CallQueued(pbx="lab", linkedid="outage.0", queue="support"))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with container.session_factory() as s:
                found = s.scalar(select(Incident).where(Incident.queue_name == "support"))
                if found is not None:
                    assert (found.status, found.seen, found.problem_id) == (IncidentStatus.PROPOSED, 6, None)
                    return
            time.sleep(0.1)
        raise AssertionError("no incident was proposed for the surge of calls")
    finally:
        service.stop()
