"""The QA workspace and search over HTTP: states, filters, odd input, the redacted audio and who hears it."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.models import AuditLog, CallTag, Recording, Transcript
from callcenter.models.transcripts import TranscriptStatus

from .deskdata import PASSWORD, T0
from .qadata import add_transcript, turn
from .webtools import csrf_token, sign_in


def signed(app, who: str):
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    return client


def audits(session_factory, action: str) -> list[AuditLog]:
    with session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_workspace_shows_lanes_words_redactions_and_confidence(app, shop, container) -> None:
    add_transcript(container, shop.call_id)
    html = signed(app, "quinn").get(f"/qa/calls/{shop.call_id}").get_data(as_text=True)
    assert 'id="qa-audio"' in html and f'src="/qa/calls/{shop.call_id}/audio"' in html
    assert html.count('class="turn caller"') == 2 and html.count('class="turn agent"') == 2
    assert 'data-start="5.5" data-end="5.9"' in html            # "refund", with its real times
    assert 'class="w redacted"' in html and "[card]" not in html  # the placeholder is shown as removed
    assert html.count('class="w low"') == 7                     # the caller's 0.5-confidence words
    assert "qa.js" in html and "<script>" not in html            # CSP: no inline script


def test_pending_failed_and_no_recording_states(app, shop, container) -> None:
    client = signed(app, "quinn")
    add_transcript(container, shop.call_id, status=TranscriptStatus.QUEUED)
    assert 'id="state-pending"' in client.get(f"/qa/calls/{shop.call_id}").get_data(as_text=True)
    add_transcript(container, shop.other_call_id, status=TranscriptStatus.FAILED,
                   error="AudioCorrupt: not a WAV file")
    html = client.get(f"/qa/calls/{shop.other_call_id}").get_data(as_text=True)
    assert 'id="state-failed"' in html and "AudioCorrupt: not a WAV file" in html
    with transaction(container.session_factory) as s:
        bare = ensure_call(s, "lab", "1700000099.1", started_at=T0).id
    html = client.get(f"/qa/calls/{bare}").get_data(as_text=True)
    assert 'id="state-no-recording"' in html and "qa-audio" not in html
    assert client.get(f"/qa/calls/{bare}/audio").status_code == 404
    assert client.get("/qa/calls/999999").status_code == 404


def test_only_the_redacted_copy_is_served_with_ranges_and_each_listen_audited(app, shop, container) -> None:
    add_transcript(container, shop.call_id, audio_seconds=2.0)
    client = signed(app, "quinn")
    qa_file = container.settings.qa_audio_dir() / f"call-{shop.call_id}.wav"
    whole = client.get(f"/qa/calls/{shop.call_id}/audio")
    assert whole.status_code == 200 and whole.data == qa_file.read_bytes()
    assert whole.headers["Cache-Control"] == "private, no-store"
    part = client.get(f"/qa/calls/{shop.call_id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == qa_file.read_bytes()[100:200]
    played = audits(container.session_factory, "qa_audio_played")
    assert len(played) == 1 and played[0].object_id == str(shop.call_id)  # a seek is not a new listen
    # A transcript pointing outside the QA folder is never followed.
    with transaction(container.session_factory) as s:
        transcript = s.scalar(select(Transcript).where(Transcript.call_id == shop.call_id))
        assert transcript is not None
        transcript.qa_audio = "../../recordings/x.wav"
    assert client.get(f"/qa/calls/{shop.call_id}/audio").status_code == 404


def test_agents_see_only_their_own_calls_and_refusals_are_audited(app, shop, container) -> None:
    add_transcript(container, shop.call_id)
    add_transcript(container, shop.other_call_id)
    ann = signed(app, "ann")
    html = ann.get(f"/qa/calls/{shop.call_id}").get_data(as_text=True)
    assert 'id="qa-audio"' in html and "Save review" not in html  # her call: she may listen, not score
    assert ann.get(f"/qa/calls/{shop.call_id}/audio").status_code == 200
    assert ann.get(f"/qa/calls/{shop.other_call_id}").status_code == 403
    assert ann.get(f"/qa/calls/{shop.other_call_id}/audio").status_code == 403
    assert ann.get("/qa/?q=refund").status_code == 403
    denied = [a.action for a in audits(container.session_factory, "qa_call_denied")]
    assert len(denied) == 2
    # A supervisor sees the team's calls only; sue's team is ann's.
    sue = signed(app, "sue")
    assert sue.get(f"/qa/calls/{shop.call_id}").status_code == 200
    assert sue.get(f"/qa/calls/{shop.other_call_id}").status_code == 403
    hits = sue.get("/qa/?q=refund").get_data(as_text=True)
    assert f"/qa/calls/{shop.call_id}#" in hits and f"/qa/calls/{shop.other_call_id}#" not in hits


def _calls(container, shop) -> dict[str, int]:
    """Three more transcribed calls on different days, agents and queues."""
    ids = {}
    with transaction(container.session_factory) as s:
        for n, (agent, queue, day) in enumerate((("ann", "support", 1), ("bob", "sales", 2), ("ann", "sales", 5))):
            call = ensure_call(s, "lab", f"17000001{n}.1", started_at=T0 + dt.timedelta(days=day),
                               agent_id=shop.users[agent], queue_name=queue)
            s.add(Recording(call_id=call.id, path=f"x{n}.wav"))
            ids[f"{agent}-{queue}-{day}"] = call.id
    for key, call_id in ids.items():
        add_transcript(container, call_id, [turn("caller", f"please cancel my {key.split('-')[1]} plan", 1.0)],
                       audio_seconds=None)
    return ids


def test_search_filters_by_words_agent_queue_tag_and_dates(app, shop, container) -> None:
    ids = _calls(container, shop)
    client = signed(app, "ada")

    def found(**args: str) -> set[int]:
        html = client.get("/qa/", query_string=args).get_data(as_text=True)
        return {i for i in [*ids.values(), shop.call_id] if f"/qa/calls/{i}#t=" in html}

    assert found(q="cancel") == set(ids.values())
    assert found(q="CANCEL plan") == set(ids.values())                  # every word, any case
    assert found(q="cancel", agent=str(shop.users["ann"])) == {ids["ann-support-1"], ids["ann-sales-5"]}
    assert found(q="cancel", queue="sales") == {ids["bob-sales-2"], ids["ann-sales-5"]}
    assert found(q="cancel", **{"from": "2026-11-25", "to": "2026-11-25"}) == {ids["bob-sales-2"]}
    assert found(q="cancel", **{"from": "2026-11-25"}) == {ids["bob-sales-2"], ids["ann-sales-5"]}
    with transaction(container.session_factory) as s:
        s.add(CallTag(call_id=ids["ann-sales-5"], tag="cancel", hits=[]))
    assert found(q="plan", tag="cancel") == {ids["ann-sales-5"]}
    html = client.get("/qa/", query_string={"q": "cancel"}).get_data(as_text=True)
    assert "<mark>cancel</mark>" in html and "#t=1.50" in html and "#cancel" in html
    assert 'id="search-empty"' in client.get("/qa/").get_data(as_text=True)
    assert 'id="search-none"' in client.get("/qa/?q=nothing-like-this").get_data(as_text=True)


@pytest.mark.parametrize("query", ["%", "_", "\\", "100%_off\\", "a\x00b", "'; DROP TABLE calls; --",
                                   "x" * 100_000, " ".join(["cancel"] * 500), "${jndi}", "<script>alert(1)</script>"])
def test_odd_and_huge_search_strings_are_answered_safely(app, shop, container, query: str) -> None:
    _calls(container, shop)
    client = signed(app, "quinn")
    for days in ({"from": "0001-01-01", "to": "9999-12-31"}, {"from": "2026-13-45", "to": "yesterday"}):
        assert client.get("/qa/", query_string={"q": "cancel", **days}).status_code == 200
    assert client.get("/qa/", query_string={"q": "cancel", "queue": query, "tag": query}).status_code == 200
    resp = client.get("/qa/", query_string={"q": query, "agent": "x", "page": "-5"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    expected_hits = query.startswith("cancel")
    assert ("search-results" in html) is expected_hits


def test_api_search_and_transcript(client, shop, container) -> None:
    add_transcript(container, shop.call_id)
    add_transcript(container, shop.other_call_id, status=TranscriptStatus.RUNNING)
    with transaction(container.session_factory) as s:
        s.add(CallTag(call_id=shop.call_id, tag="refund", hits=[]))
    quinn = {"Authorization": f"Bearer {shop.tokens['quinn']}"}
    found = client.get("/api/v1/transcripts/search?q=Refund&queue=support", headers=quinn).get_json()
    assert [h["call_id"] for h in found["items"]] == [shop.call_id]
    hit = found["items"][0]
    assert hit["tags"] == ["refund"] and [m["start"] for m in hit["matches"]] == [5.5, 12.0]
    assert client.get("/api/v1/transcripts/search?q=refund&queue=sales", headers=quinn).get_json()["items"] == []
    assert client.get("/api/v1/transcripts/search?q=%00", headers=quinn).status_code == 422
    doc = client.get(f"/api/v1/calls/{shop.call_id}/transcript", headers=quinn).get_json()
    assert doc["status"] == "done" and doc["redacted"] and doc["audio_url"] == f"/qa/calls/{shop.call_id}/audio"
    assert [t["speaker"] for t in doc["turns"]] == ["agent", "caller", "caller", "agent"]
    pending = client.get(f"/api/v1/calls/{shop.other_call_id}/transcript", headers=quinn).get_json()
    assert pending["status"] == "running" and pending["turns"] == [] and pending["audio_url"] is None
    assert client.get("/api/v1/calls/987654/transcript", headers=quinn).status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/transcripts/search" in paths and "/api/v1/calls/{call_id}/transcript" in paths


def test_the_workspace_and_search_speak_chinese(app, shop, container) -> None:
    add_transcript(container, shop.call_id)
    client = signed(app, "quinn")
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client, "/qa/")})
    page = client.get(f"/qa/calls/{shop.call_id}").get_data(as_text=True)
    assert f"通话 {shop.call_id}" in page and "质检" in page and "[已删除]" in page and "置信度 50%" in page
    assert "搜索通话内容" in client.get("/qa/").get_data(as_text=True)
