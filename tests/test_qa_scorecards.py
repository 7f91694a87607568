"""QA scorecards: weighted scores and fail-all items (hand-computed), versions, the review form, trends."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import AuditLog, Call, QAReview, Scorecard, User
from callcenter.qa import scorecards

from .deskdata import PASSWORD
from .qadata import add_transcript
from .support.rows import row
from .webtools import csrf_token, sign_in

# identity is worth 2 and fails everything; greeting 3, hold 1.
ITEMS = [{"key": "greeting", "label": "Greeted by name", "weight": 3},
         {"key": "hold", "label": "Asked before hold", "weight": 1},
         {"key": "identity", "label": "Verified identity", "weight": 2, "fail_all": True}]


def answers(**results: str) -> dict[str, dict[str, str]]:
    return {k: {"result": v, "comment": ""} for k, v in results.items()}


@pytest.mark.parametrize(("greeting", "hold", "identity", "score", "failed"), [
    ("pass", "pass", "pass", 100.0, False),
    ("pass", "fail", "pass", 83.3, False),    # (3 + 2) / 6
    ("fail", "pass", "pass", 50.0, False),    # (1 + 2) / 6
    ("pass", "na", "pass", 100.0, False),     # (3 + 2) / 5
    ("fail", "na", "pass", 40.0, False),      # 2 / 5
    ("pass", "pass", "fail", 0.0, True),      # fail-all
    ("fail", "pass", "na", 25.0, False),      # 1 / 4: an n/a fail-all item fails nothing
    ("na", "na", "na", None, False),          # nothing applicable: no score
])
def test_weighted_score_and_fail_all(greeting: str, hold: str, identity: str, score: float | None,
                                     failed: bool) -> None:
    items = scorecards.clean_items(ITEMS)
    outcome = scorecards.score(items, answers(greeting=greeting, hold=hold, identity=identity))
    assert outcome == scorecards.Outcome(score, failed)


@pytest.mark.parametrize("bad", [[], [{"key": "A B", "label": "x", "weight": 1}],
                                 [{"key": "a", "label": "", "weight": 1}],
                                 [{"key": "a", "label": "x", "weight": "nan"}],
                                 [{"key": "a", "label": "x", "weight": 101}],
                                 [{"key": "a", "label": "x"}, {"key": "a", "label": "y"}]])
def test_bad_items_are_refused(bad: list[dict[str, Any]]) -> None:
    with pytest.raises(scorecards.ScorecardError):
        scorecards.clean_items(bad)


def test_editor_text_round_trips() -> None:
    items = scorecards.parse_items("# comment\ngreeting | Greeted by name | 3\nidentity | Verified | 2 | fail-all\n")
    assert items == [{"key": "greeting", "label": "Greeted by name", "weight": 3.0, "fail_all": False},
                     {"key": "identity", "label": "Verified", "weight": 2.0, "fail_all": True}]
    assert scorecards.parse_items(scorecards.format_items(items)) == items
    with pytest.raises(scorecards.ScorecardError):
        scorecards.parse_items("greeting | no weight")


def test_versions_keep_old_reviews_meaning(session_factory, shop) -> None:
    with transaction(session_factory) as s:
        quinn = Actor.of(row(s, User, shop.users["quinn"]))
        v1 = scorecards.save_version(s, "basic", "Basic", ITEMS, quinn)
        call = row(s, Call, shop.call_id)
        first = scorecards.review_call(s, call, v1, answers(greeting="pass", hold="fail", identity="pass"), "", quinn)
        assert first.score == 83.3 and first.agent_id == shop.users["ann"]
        # v2 drops "hold" and makes greeting worth 1.
        v2 = scorecards.save_version(s, "basic", "Basic", [dict(ITEMS[0], weight=1), ITEMS[2]], quinn)
        assert (v1.version, v2.version, v1.is_active, v2.is_active) == (1, 2, False, True)
        assert scorecards.save_version(s, "basic", "Basic", [dict(ITEMS[0], weight=1), ITEMS[2]], quinn) is v2
        with pytest.raises(scorecards.ScorecardError, match="replaced"):
            scorecards.review_call(s, call, v1, answers(greeting="pass", hold="pass", identity="pass"), "", quinn)
        second = scorecards.review_call(s, call, v2, answers(greeting="fail", identity="pass"), "", quinn)
        assert second.score == 66.7  # 2 / 3
        first_id = first.id
    with session_factory() as s:
        old = s.get(QAReview, first_id)
        card = s.get(Scorecard, old.scorecard_id)
        assert card.version == 1 and [i["key"] for i in card.items] == ["greeting", "hold", "identity"]
        assert old.score == 83.3


def _card(session_factory, shop) -> int:
    with transaction(session_factory) as s:
        return scorecards.save_version(s, "basic", "Basic", ITEMS, Actor.of(row(s, User, shop.users["quinn"]))).id


def test_reviewer_fills_the_form_score_is_server_side_and_audited(app, shop, container) -> None:
    card_id = _card(container.session_factory, shop)
    add_transcript(container, shop.call_id)
    client = app.test_client()
    sign_in(client, "quinn", PASSWORD)
    page = client.get(f"/qa/calls/{shop.call_id}").get_data(as_text=True)
    assert 'id="scorecard-basic"' in page and 'name="result-identity"' in page
    token = csrf_token(client, f"/qa/calls/{shop.call_id}")
    form = {"csrf_token": token, "scorecard_id": str(card_id), "result-greeting": "pass", "result-hold": "fail",
            "result-identity": "pass", "comment-hold": "put on hold without asking", "comment": "good call",
            "score": "100"}  # a score sent by the browser is ignored
    resp = client.post(f"/qa/calls/{shop.call_id}/reviews", data=form)
    assert resp.status_code == 303
    with container.session_factory() as s:
        review = s.scalar(select(QAReview))
        assert review.score == 83.3 and review.reviewer_id == shop.users["quinn"]
        assert review.answers["hold"] == {"result": "fail", "comment": "put on hold without asking"}
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "qa_review_saved"))
        assert entry.actor_name == "quinn" and entry.detail["score"] == 83.3 and entry.detail["version"] == 1
    assert "83.3" in client.get(f"/qa/calls/{shop.call_id}").get_data(as_text=True)
    # Missing answers, unknown scorecard, bad results: 400 with a message, nothing stored.
    for bad in ({**form, "result-identity": ""}, {**form, "result-hold": "maybe"}, {**form, "scorecard_id": "999"},
                {**form, "comment": "x" * 3000}):
        resp = client.post(f"/qa/calls/{shop.call_id}/reviews", data=bad)
        assert resp.status_code == 400 and 'class="flash error"' in resp.get_data(as_text=True)
    # No CSRF token: refused.
    assert client.post(f"/qa/calls/{shop.call_id}/reviews", data={k: v for k, v in form.items()
                                                                  if k != "csrf_token"}).status_code == 400
    assert client.post("/qa/calls/424242/reviews", data=form).status_code == 404
    with container.session_factory() as s:
        assert len(s.scalars(select(QAReview)).all()) == 1


def test_editor_creates_versions_and_needs_csrf(app, shop, container) -> None:
    client = app.test_client()
    sign_in(client, "quinn", PASSWORD)
    token = csrf_token(client, "/qa/scorecards")
    items = "greeting | Greeted by name | 3\nidentity | Verified identity | 2 | fail-all"
    assert client.post("/qa/scorecards", data={"slug": "basic", "title": "Basic", "items": items}).status_code == 400
    resp = client.post("/qa/scorecards", data={"csrf_token": token, "slug": "basic", "title": "Basic",
                                               "items": items})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/qa/scorecards/basic")
    resp = client.post("/qa/scorecards/basic", data={"csrf_token": token, "title": "Basic",
                                                     "items": items + "\nhold | Asked before hold | 1"})
    assert resp.status_code == 303
    bad = client.post("/qa/scorecards/basic", data={"csrf_token": token, "title": "Basic", "items": "x | y"})
    assert bad.status_code == 400
    page = client.get("/qa/scorecards/basic").get_data(as_text=True)
    assert "v2" in page and "v1" in page and "Asked before hold" in page
    with container.session_factory() as s:
        assert [c.version for c in s.scalars(select(Scorecard).order_by(Scorecard.version))] == [1, 2]
        assert len(s.scalars(select(AuditLog).where(AuditLog.action == "scorecard_changed")).all()) == 2
    assert client.get("/qa/scorecards/nope").status_code == 404


def test_agent_trend_page_chart_and_csv(app, shop, container) -> None:
    card_id = _card(container.session_factory, shop)
    with transaction(container.session_factory) as s:
        quinn, card = Actor.of(row(s, User, shop.users["quinn"])), row(s, Scorecard, card_id)
        for result in ("pass", "fail"):
            scorecards.review_call(s, row(s, Call, shop.call_id), card,
                                   answers(greeting=result, hold="pass", identity="pass"), "=cmd()", quinn)
    client = app.test_client()
    sign_in(client, "sue", PASSWORD)
    listing = client.get("/qa/agents").get_data(as_text=True)
    assert f"/qa/agents/{shop.users['ann']}" in listing and "75.0" in listing  # mean of 100 and 50
    page = client.get(f"/qa/agents/{shop.users['ann']}").get_data(as_text=True)
    assert 'id="chart-trend"' in page and "qa_trend.js" in page and "echarts.min.js" in page
    csv = client.get(f"/qa/agents/{shop.users['ann']}.csv").get_data(as_text=True).splitlines()
    assert csv[0].startswith("Reviewed,Call,Scorecard") and len(csv) == 3
    assert [line.split(",")[3] for line in csv[1:]] == ["100.0", "50.0"] and "'=cmd()" in csv[1]
    # sam supervises no team: ann's reviews are not his to see.
    other = app.test_client()
    sign_in(other, "sam", PASSWORD)
    assert "No reviews of this agent yet" in other.get(f"/qa/agents/{shop.users['ann']}").get_data(as_text=True)
