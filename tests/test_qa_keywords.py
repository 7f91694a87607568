"""Keyword rules: phrases in a transcript tag the call and its tickets, once, and pre-mark scorecard items."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.events import EventError, TranscriptReady
from callcenter.models import AuditLog, Call, CallTag, KeywordRule, Ticket, TicketChange, User
from callcenter.qa import rules as keywords
from callcenter.qa import scorecards

from .deskdata import PASSWORD
from .qadata import REFUND_CALL, add_transcript, turn
from .support.rows import row
from .webtools import csrf_token, sign_in


def test_phrases_match_whole_words_in_a_row_within_a_turn() -> None:
    turns = [turn("caller", "I want to CANCEL, my order", 1.0), turn("agent", "cancellation is easy", 5.0)]
    assert [h["start"] for h in keywords.find(turns, ["cancel my order"])] == [2.5]  # case, punctuation ignored
    assert keywords.find(turns, ["want cancel"]) == [] and keywords.find(turns, ["order cancellation"]) == []
    assert [h["start"] for h in keywords.find(turns, ["cancel"])] == [2.5]  # not "cancellation"
    assert keywords.find(turns, ["my order"]) == [{"w": "my order", "start": 3.0, "speaker": "caller"}]
    rule = keywords.clean_rule(" Refunds ", ["Refund!", "money back", "", "refund"], "Refund", "resolution", "fail")
    assert rule == {"name": "Refunds", "phrases": ["refund", "money back"], "tag": "refund",
                    "scorecard_item": "resolution", "mark": "fail"}
    for bad in (("", ["x"], "t", None, "fail"), ("n", ["!!"], "t", None, "fail"),
                ("n", ["x"], "two words", None, "fail"), ("n", ["x"], "t", None, "maybe")):
        try:
            keywords.clean_rule(*bad)
        except keywords.RuleError:
            continue
        raise AssertionError(f"accepted {bad}")


def _rule(session_factory, phrases: list[str], tag: str, item: str | None = None) -> int:
    with transaction(session_factory) as s:
        rule = KeywordRule(**keywords.clean_rule(tag, phrases, tag, item, "fail"))
        s.add(rule)
        s.flush()
        return rule.id


def _link_ticket(session_factory, call_id: int, number: str) -> int:
    with transaction(session_factory) as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        ticket.origin_call_id = call_id
        row(s, Call, call_id).ticket_id = ticket.id
        return ticket.id


def test_rules_tag_the_call_and_its_ticket_once(container, shop) -> None:
    sf = container.session_factory
    add_transcript(container, shop.call_id)
    ticket_id = _link_ticket(sf, shop.call_id, shop.ticket_number)
    _rule(sf, ["refund", "money back"], "refund")
    _rule(sf, ["cancel"], "cancel")
    for _ in range(3):  # idempotent however often it runs
        with transaction(sf) as s:
            keywords.apply_to_call(s, container.tickets, shop.call_id)
    with sf() as s:
        tags = s.scalars(select(CallTag).where(CallTag.call_id == shop.call_id)).all()
        assert [(t.tag, [h["start"] for h in t.hits]) for t in tags] == [("refund", [5.5, 12.0])]
        assert s.get(Ticket, ticket_id).tags == ["refund"]
        changes = s.scalars(select(TicketChange).where(TicketChange.field == "tags")).all()
        assert len(changes) == 1 and changes[0].new_value == "refund"
    with transaction(sf) as s:  # a call without a finished transcript is left alone
        assert keywords.apply_to_call(s, container.tickets, shop.other_call_id) == []


def test_transcript_ready_event_tags_through_the_tagger(container, shop) -> None:
    sf = container.session_factory
    _rule(sf, ["refund"], "refund")
    tagger = container.tagger()
    tagger.start()
    try:
        transcript_id = add_transcript(container, shop.call_id)
        with pytest.raises(EventError):  # a malformed transcript_ready never reaches the tagger
            TranscriptReady.from_payload({"call_id": "not-an-int"})
        container.bus.publish(TranscriptReady(call_id=-1, transcript_id=-1))  # ignored, not fatal
        container.bus.publish(TranscriptReady(call_id=shop.call_id, transcript_id=transcript_id))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sf() as s:
                if s.scalar(select(CallTag.tag).where(CallTag.call_id == shop.call_id)):
                    break
            time.sleep(0.1)
        with sf() as s:
            assert s.scalars(select(CallTag.tag).where(CallTag.call_id == shop.call_id)).all() == ["refund"]
    finally:
        tagger.stop()
    assert not tagger.alive()


def test_rules_page_saves_reapplies_and_pre_marks_the_scorecard(app, container, shop) -> None:
    sf = container.session_factory
    add_transcript(container, shop.call_id)
    add_transcript(container, shop.other_call_id, [turn("caller", "just a question", 0.0)])
    with transaction(sf) as s:
        scorecards.save_version(s, "basic", "Basic", [{"key": "resolution", "label": "Resolved", "weight": 1},
                                                      {"key": "greeting", "label": "Greeted", "weight": 1}],
                                Actor.of(row(s, User, shop.users["ada"])))
    client = app.test_client()
    sign_in(client, "quinn", PASSWORD)
    token = csrf_token(client, "/qa/rules")
    form = {"name": "Refunds", "phrases": "refund\nmoney back", "tag": "refund", "scorecard_item": "resolution",
            "mark": "fail"}
    assert client.post("/qa/rules", data=form).status_code == 400  # no CSRF token
    bad = client.post("/qa/rules", data={**form, "csrf_token": token, "tag": "two words"})
    assert bad.status_code == 400 and 'class="flash error"' in bad.get_data(as_text=True)
    assert client.post("/qa/rules", data={**form, "csrf_token": token}).status_code == 303
    assert client.post("/qa/rules/apply", data={}).status_code == 400  # no CSRF token
    worker = container.background()
    for _ in range(2):  # again: nothing new
        applied = client.post("/qa/rules/apply", data={"csrf_token": token})
        assert applied.status_code == 303 and applied.headers["Location"].startswith("/jobs/")
        assert worker.run_once()
        assert "100" in client.get(applied.headers["Location"]).get_data(as_text=True)
    with sf() as s:
        assert s.scalars(select(CallTag.call_id)).all() == [shop.call_id]
        applied = s.scalars(select(AuditLog).where(AuditLog.action == "keyword_rules_applied")
                            .order_by(AuditLog.id)).all()
        assert [a.detail["tags_added"] for a in applied] == [1, 0] and applied[0].actor_name == "quinn"
    page = client.get(f"/qa/calls/{shop.call_id}").get_data(as_text=True)
    assert "#refund" in page and "pre-marked by a keyword rule" in page
    assert 'name="result-resolution" value="fail" required checked' in page
    assert 'name="result-greeting" value="fail" required checked' not in page
    assert "#refund" in client.get("/qa/?q=refund").get_data(as_text=True)
    # Turning a rule off keeps its tags but stops new ones.
    with sf() as s:
        rule_id = s.scalar(select(KeywordRule.id))
    assert client.post(f"/qa/rules/{rule_id}/toggle", data={"csrf_token": token}).status_code == 303
    with sf() as s:
        assert s.get(KeywordRule, rule_id).is_active is False
    assert client.post("/qa/rules/999/toggle", data={"csrf_token": token}).status_code == 404
    assert REFUND_CALL  # the fixture the tags came from
