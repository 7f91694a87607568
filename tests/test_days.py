"""One date filter, one day: a centre in Asia/Shanghai sees the same calls and tickets for "1 July"
on /tickets, /review, /qa, /reports (page and CSV) and the API.

Two calls, each with a ticket and a transcript saying "refund": one at 00:30 on
1 July Shanghai time (16:30 UTC on 30 June), one at 23:30 on 30 June Shanghai
time (15:30 UTC).  A filter by UTC days would put both on 30 June.  (The
shop's own calls are from November and its tickets from today, far from both.)
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from callcenter import days
from callcenter.access.audit import Actor
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import Call, CallStatus, Disposition, Queue, User
from tests.deskdata import PASSWORD
from tests.qadata import add_transcript
from tests.support.rows import row
from tests.webtools import sign_in

ZONE = "Asia/Shanghai"
EARLY_JULY = dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.UTC)  # 1 July 00:30 in Shanghai
LATE_JUNE = dt.datetime(2026, 6, 30, 15, 30, tzinfo=dt.UTC)  # 30 June 23:30 in Shanghai


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(instance_dir=tmp_path / "instance", database={"url": db_url}, lab={"enabled": False},
                    web={"secret_key": "test-secret-key", "port": 0}, recordings={"dir": tmp_path / "recordings"},
                    timezone=ZONE)


@pytest.fixture
def midnight(container, shop):
    """The two calls around Shanghai's midnight: {"jul": (call id, ticket number), "jun": ...}."""
    out = {}
    with transaction(container.session_factory) as s:
        support = s.query(Queue).filter_by(name="support").one()
        ada = row(s, User, shop.users["ada"])
        for key, at, number in (("jul", EARLY_JULY, "+8613900000001"), ("jun", LATE_JUNE, "+8613900000002")):
            call = Call(pbx="lab", linkedid=f"midnight-{key}", caller_number=number, queue_name="support",
                        queue_id=support.id, agent_id=shop.users["ann"], started_at=at,
                        answered_at=at + dt.timedelta(seconds=10), ended_at=at + dt.timedelta(minutes=2),
                        status=CallStatus.COMPLETE, disposition=Disposition.ANSWERED)
            s.add(call)
            s.flush()
            ticket = container.tickets.create(s, Actor.of(ada), call=call, subject=f"refund {key}",
                                              category="support")
            ticket.created_at = at
            out[key] = (call.id, ticket.number)
    for call_id, _ in out.values():
        add_transcript(container, call_id)
    return out


def test_the_helper_counts_days_in_the_centres_zone() -> None:
    first_of_july = days.one("2026-07-01", ZONE)
    assert first_of_july.start == dt.datetime(2026, 6, 30, 16, 0, tzinfo=dt.UTC)
    assert first_of_july.end == dt.datetime(2026, 7, 1, 16, 0, tzinfo=dt.UTC)
    assert days.local_date(EARLY_JULY, ZONE) == dt.date(2026, 7, 1)
    assert days.local_date(LATE_JUNE, ZONE) == dt.date(2026, 6, 30)
    assert days.between("2026-12-02", "2026-12-01", ZONE).first == dt.date(2026, 12, 1)  # reversed: put in order
    assert not days.between("yesterday", "=1+1", ZONE)  # not dates: no bound at all
    assert days.parse("0001-01-01") is None


@pytest.mark.parametrize("day, shown, hidden", [("2026-07-01", "jul", "jun"), ("2026-06-30", "jun", "jul")])
def test_every_page_and_the_api_agree_on_the_day(app, shop, midnight, day, shown, hidden) -> None:
    client = app.test_client()
    sign_in(client, "ada", PASSWORD)
    (shown_call, shown_ticket), (hidden_call, hidden_ticket) = midnight[shown], midnight[hidden]

    tickets = client.get(f"/tickets/?from={day}&to={day}").get_data(as_text=True)
    assert f"/tickets/{shown_ticket}" in tickets and f"/tickets/{hidden_ticket}" not in tickets

    review = client.get(f"/review/?day={day}").get_data(as_text=True)
    assert _number(shown) in review and _number(hidden) not in review

    qa = client.get(f"/qa/?q=refund&from={day}&to={day}").get_data(as_text=True)
    assert f"/qa/calls/{shown_call}" in qa and f"/qa/calls/{hidden_call}" not in qa

    summary = client.get(f"/reports/export/summary.csv?from={day}&to={day}").get_data(as_text=True)
    figures = dict(line.split(",", 1) for line in summary.splitlines()[1:])
    assert figures["calls.calls"] == "1" and figures["tickets.tickets"] == "1", figures
    page = client.get(f"/reports/?from={day}&to={day}").get_data(as_text=True)
    assert f'value="{day}"' in page  # the page shows the day it counted

    headers = {"Authorization": f"Bearer {shop.tokens['ada']}"}
    api_tickets = client.get(f"/api/v1/tickets?from={day}&to={day}", headers=headers).get_json()
    assert [t["number"] for t in api_tickets["items"]] == [shown_ticket]
    api_calls = client.get(f"/api/v1/calls?from={day}&to={day}", headers=headers).get_json()
    assert [c["id"] for c in api_calls["items"]] == [shown_call]
    hits = client.get(f"/api/v1/transcripts/search?q=refund&from={day}&to={day}", headers=headers).get_json()
    assert [h["call_id"] for h in hits["items"]] == [shown_call]


def _number(key: str) -> str:
    """How the review page shows the caller's number (+86 139 0000 0001)."""
    return "0000 0001" if key == "jul" else "0000 0002"
