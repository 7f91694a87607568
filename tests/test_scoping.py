"""Finding 5: reports, callbacks, surveys, recurring topics and the desk stay within what the viewer may see.

The shop gets a second team (billing: supervisor bea, agent cai) whose
customer is the shop's 王芳, so every list has a row the support team must
not see.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access import visibility
from callcenter.dispatch import surveys
from callcenter.models import User, utcnow
from callcenter.reporting import figures

from .deskdata import PASSWORD, T0, Billing, add_billing
from .support.deskstream import Stream
from .support.deskstream import ring as _ring
from .webtools import csrf_token, sign_in

DAY = "from=2026-11-23&to=2026-11-23"


@pytest.fixture
def billing(shop, session_factory) -> Billing:
    return add_billing(session_factory, shop)


def _signed_in(app, who: str):
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    return client


def _api(client, shop, who: str, path: str) -> list[dict[str, Any]]:
    resp = client.get(path, headers={"Authorization": f"Bearer {shop.tokens[who]}"})
    assert resp.status_code == 200, resp.get_json()
    items: list[dict[str, Any]] = resp.get_json()["items"]
    return items


# -- reports -------------------------------------------------------------------
def test_supervisor_cannot_ask_for_another_teams_report(app, shop, billing) -> None:
    sue = _signed_in(app, "sue")
    for path in (f"/reports/?team={billing.team_id}&{DAY}", f"/reports/export/summary.csv?team={billing.team_id}",
                 f"/reports/export/topics.csv?team={billing.team_id}&{DAY}"):
        resp = sue.get(path)
        assert resp.status_code == 403, path
        assert billing.subject.split()[0].lower() not in resp.get_data(as_text=True).lower()
    bea = _signed_in(app, "bea")
    assert bea.get(f"/reports/?team={billing.team_id}&{DAY}").status_code == 200
    assert _signed_in(app, "ada").get(f"/reports/?team={billing.team_id}&{DAY}").status_code == 200


def test_supervisor_reports_default_to_and_stay_within_their_teams(app, shop, billing) -> None:
    """bea leads billing without belonging to it; sam leads no team: neither sees support's figures."""
    html = _signed_in(app, "bea").get("/reports/").get_data(as_text=True)  # tickets are of this week
    assert "invoice" in html and "router" not in html.lower()
    assert "Support team" not in html  # the team picker offers only her teams
    sam = _signed_in(app, "sam")
    topics = sam.get("/reports/export/topics.csv").get_data(as_text=True)
    assert "router" not in topics and "invoice" not in topics
    assert "tickets.tickets,0" in sam.get("/reports/export/summary.csv").get_data(as_text=True)
    assert "calls.calls,0" in sam.get(f"/reports/export/summary.csv?{DAY}").get_data(as_text=True)


def test_csat_report_honours_the_team(app, shop, billing) -> None:
    admin = _signed_in(app, "ada")
    csv = admin.get(f"/reports/export/csat_agent.csv?team={billing.team_id}&{DAY}").get_data(as_text=True)
    assert "cai" in csv and "ann" not in csv
    csv = _signed_in(app, "sue").get(f"/reports/export/csat_agent.csv?{DAY}").get_data(as_text=True)
    assert "ann" in csv and "cai" not in csv


def test_dispatch_csat_honours_the_team(session_factory, shop, billing) -> None:
    with session_factory() as s:
        everyone = {r["key"] for r in surveys.csat(s, "agent")}
        assert everyone == {shop.users["ann"], shop.users["cai"]}
        only = surveys.csat(s, "agent", team_id=billing.team_id)
        assert [(r["key"], r["mean"]) for r in only] == [(shop.users["cai"], 1.0)]


def test_figures_csat_of_a_team(session_factory, shop, billing) -> None:
    f = figures.day_filter(T0.date())
    f.team_id = billing.team_id
    with session_factory() as s:
        assert [r["key"] for r in figures.csat(s, f, "agent")] == ["cai"]


# -- recurring topics ------------------------------------------------------------
def test_topics_group_only_tickets_the_viewer_may_open(session_factory, shop, billing) -> None:
    from callcenter.reporting.topics import recurring  # here: the old code had no such function

    with session_factory() as s:
        ann = s.scalars(select(User).where(User.username == "ann")).one()
        found = recurring(s, figures.day_filter(utcnow().date()), visibility.ticket_clause(ann))
        labels = " ".join(t.label for t in found.topics)
        assert "router" in labels and "invoice" not in labels and "contract" not in labels
        assert found.restricted == 2  # bob's sales ticket and cai's billing ticket: counted only
        assert set(found.numbers.values()) == {shop.ticket_number}


# -- API ---------------------------------------------------------------------------
def test_api_callbacks_are_scoped_like_tickets(client, shop, billing) -> None:
    ids = {who: {c["id"] for c in _api(client, shop, who, "/api/v1/callbacks")}
           for who in ("ann", "sue", "cai", "bea", "bob", "ada")}
    support, other = billing.callbacks["support"], billing.callbacks["billing"]
    assert ids["ann"] == ids["sue"] == {support}
    assert ids["cai"] == ids["bea"] == {other}
    assert ids["bob"] == set()
    assert ids["ada"] == {support, other}


def test_api_surveys_are_scoped(client, shop, billing) -> None:
    ids = {who: {v["id"] for v in _api(client, shop, who, "/api/v1/surveys")} for who in ("sue", "bea", "sam",
                                                                                         "quinn", "ada")}
    support, other = billing.surveys["support"], billing.surveys["billing"]
    assert ids["sue"] == {support} and ids["bea"] == {other} and ids["sam"] == set()
    assert ids["quinn"] == ids["ada"] == {support, other}
    assert client.get("/api/v1/surveys?limit=1", headers={
        "Authorization": f"Bearer {shop.tokens['sue']}"}).get_json()["total"] == 1


# -- the desk ------------------------------------------------------------------------
def test_desk_form_lists_only_tickets_the_agent_may_open(app, shop, billing) -> None:
    ann = _signed_in(app, "ann")
    html = ann.get(f"/desk/calls/{shop.call_id}/form").get_data(as_text=True)
    assert "Router down" in html and billing.subject not in html and billing.ticket_number not in html
    assert "Other open tickets of this customer (restricted): 1" in html
    ann.post("/language", data={"lang": "zh", "csrf_token": csrf_token(ann, "/desk/")})
    html = ann.get(f"/desk/calls/{shop.call_id}/form").get_data(as_text=True)
    assert "该客户的其他未结工单（受限）：1" in html


def test_screen_pop_lists_only_tickets_the_agent_may_open(app, container, shop, billing) -> None:
    stream = Stream(app, "ann")
    try:
        _ring(container, "PJSIP/agent1001", "1700000000.1")
        kind, pop = stream.next_event()
        assert kind == "pop"
        assert [t["number"] for t in pop["open_tickets"]] == [shop.ticket_number]
        assert billing.subject not in str(pop) and pop["restricted_tickets"] == 1
    finally:
        stream.close()
