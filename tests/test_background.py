"""Long work off the request: re-applying rules and big exports run as background jobs, in short transactions,
with progress a person can watch; the tagger matches on its own thread; rules are bounded."""
from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.background import jobs
from callcenter.background.worker import BackgroundWorker, Lost, Work
from callcenter.db import transaction
from callcenter.events import TranscriptReady
from callcenter.models import AuditLog, BackgroundJob, CallTag, JobStatus, KeywordRule, Ticket, User
from callcenter.qa import rules as keywords

from .deskdata import PASSWORD
from .qadata import add_transcript
from .support.rows import row
from .webtools import csrf_token, sign_in


def _rule(session_factory, phrases: list[str], tag: str) -> None:
    with transaction(session_factory) as s:
        s.add(KeywordRule(**keywords.clean_rule(tag, phrases, tag, None, "fail")))


def test_reapplying_rules_is_a_job_in_short_transactions_with_progress(container, shop, monkeypatch) -> None:
    sf = container.session_factory
    add_transcript(container, shop.call_id)
    add_transcript(container, shop.other_call_id)
    _rule(sf, ["refund"], "refund")
    monkeypatch.setattr(container.settings.background, "batch_size", 1)
    with transaction(sf) as s:
        job_id = jobs.submit(s, Actor.of(row(s, User, shop.users["quinn"])), keywords.REAPPLY, {}, "re-apply").id
    seen: list[tuple[int, int]] = []
    free_between_batches: list[bool] = []
    original = Work.progress

    def watch(self: Work, done: int, total: int) -> None:
        original(self, done, total)
        seen.append((done, total))
        if container.settings.database.url.startswith("sqlite"):
            # Between batches the job holds no lock: another writer gets in at once.
            other = sqlite3.connect(container.settings.database.url.removeprefix("sqlite:///"), timeout=0.05,
                                    isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                free_between_batches.append(True)
            except sqlite3.OperationalError:
                free_between_batches.append(False)
            finally:
                other.close()

    monkeypatch.setattr(Work, "progress", watch)
    assert container.background().run_once()
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert all(free_between_batches)
    with sf() as s:
        job = s.get(BackgroundJob, job_id)
        assert job.status is JobStatus.DONE and job.result == {"tags_added": 2, "calls": 2}
        assert jobs.percent(job) == 100
        assert sorted(s.scalars(select(CallTag.call_id))) == sorted([shop.call_id, shop.other_call_id])
        applied = s.scalar(select(AuditLog).where(AuditLog.action == "keyword_rules_applied"))
        assert applied.actor_name == "quinn" and applied.detail["tags_added"] == 2
    assert not container.background().run_once()  # nothing left


def _export(client, token: str, **filters: str):
    return client.post("/tickets/export", data={"csrf_token": token, **filters})


def test_a_big_ticket_export_runs_in_the_background_and_only_its_requester_downloads_it(
        app, container, shop, session_factory, monkeypatch) -> None:
    monkeypatch.setattr(container.settings.background, "inline_export_rows", 0)
    sue = app.test_client()
    sign_in(sue, "sue", PASSWORD)
    token = csrf_token(sue, "/tickets/")
    assert sue.post("/tickets/export", data={}).status_code == 400  # CSRF
    started = _export(sue, token, priority="normal")
    assert started.status_code == 303, started.get_data(as_text=True)[:300]
    page_url = started.headers["Location"]
    job_id = int(page_url.rstrip("/").split("/")[-1])
    waiting = sue.get(page_url)
    assert waiting.status_code == 200 and 'data-status="queued"' in waiting.get_data(as_text=True)
    assert sue.get(f"/jobs/{job_id}.json").get_json()["status"] == "queued"
    assert _export(sue, token, priority="normal").headers["Location"] == page_url  # asked twice: one job
    assert container.background().run_once()
    state = sue.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "done" and state["percent"] == 100 and state["download"]
    done_page = sue.get(page_url).get_data(as_text=True)
    assert "Download the CSV" in done_page and f"/jobs/{job_id}/download" in done_page
    got = sue.get(state["download"])
    assert got.status_code == 200 and got.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    with session_factory() as s:
        sue_user = row(s, User, shop.users["sue"])
        from callcenter.access import visibility
        expected = sorted(s.scalars(select(Ticket.number).where(visibility.ticket_clause(sue_user),
                                                                 Ticket.priority == "normal")))
    assert table[0][0] == "Number" and sorted(r[0] for r in table[1:]) == expected and expected
    assert shop.other_ticket_number not in {r[0] for r in table[1:]}  # bob's ticket: not sue's to see
    # Another supervisor sees neither the job nor its file; the refusal is audited.
    sam = app.test_client()
    sign_in(sam, "sam", PASSWORD)
    for url in (page_url, f"/jobs/{job_id}.json", state["download"]):
        assert sam.get(url).status_code == 403, url
    with session_factory() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "export_downloaded")).actor_name == "sue"
        assert s.scalars(select(AuditLog.object_id).where(AuditLog.outcome == "denied",
                                                          AuditLog.actor_name == "sam")).all() == [str(job_id)] * 3
    assert sue.get("/jobs/").status_code == 200 and "Ticket export" in sue.get("/jobs/").get_data(as_text=True)


def test_a_small_export_answers_at_once(app, shop, session_factory) -> None:
    client = app.test_client()
    sign_in(client, "ada", PASSWORD)
    resp = _export(client, csrf_token(client, "/tickets/"), q="=HYPERLINK(")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    with session_factory() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "tickets_exported")).detail["filters"] == {
            "q": "=HYPERLINK("}
    assert session_factory().scalar(select(BackgroundJob)) is None


def test_a_lost_job_is_queued_again_and_its_old_worker_stops(container, shop) -> None:
    sf = container.session_factory
    with transaction(sf) as s:
        job_id = jobs.submit(s, Actor.system("test"), "export_tickets", {}, "x").id
    with transaction(sf) as s:
        claimed = jobs.claim(s, "worker-a")
        assert claimed is not None and claimed.id == job_id
    lost = Work(job_id, {}, None, sf, "worker-a")
    lost.progress(1, 10)
    with transaction(sf) as s:
        assert jobs.requeue_lost(s, heartbeat_timeout=60) == 0  # still beating
        assert jobs.requeue_lost(s, heartbeat_timeout=-1) == 1  # stopped beating
    with transaction(sf) as s:
        claimed = jobs.claim(s, "worker-b")
        assert claimed is not None and claimed.id == job_id
    with pytest.raises(Lost):
        lost.progress(2, 10)
    with sf() as s:
        assert s.get(BackgroundJob, job_id).attempts == 2


def test_a_failing_job_shows_why_and_the_worker_goes_on(container, shop) -> None:
    sf = container.session_factory

    def broken(work: Work) -> dict[str, object]:
        raise jobs.JobError("the export folder is full")

    worker = BackgroundWorker(sf, {"broken": broken})
    with transaction(sf) as s:
        first = jobs.submit(s, Actor.system("test"), "broken", {}, "x").id
        second = jobs.submit(s, Actor.system("test"), "unknown", {}, "y").id
    assert worker.run_once() and worker.run_once() and not worker.run_once()
    with sf() as s:
        assert (s.get(BackgroundJob, first).status, s.get(BackgroundJob, first).error) == (
            JobStatus.FAILED, "the export folder is full")
        assert "No handler" in s.get(BackgroundJob, second).error


def test_the_worker_service_runs_jobs_on_its_own(container, shop) -> None:
    sf = container.session_factory
    add_transcript(container, shop.call_id)
    _rule(sf, ["refund"], "refund")
    container.settings.background.poll_seconds = 0.05
    worker = container.background()
    worker.start()
    try:
        with transaction(sf) as s:
            job_id = jobs.submit(s, Actor.system("test"), keywords.REAPPLY, {}, "x").id
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sf() as s:
                if s.get(BackgroundJob, job_id).status is JobStatus.DONE:
                    break
            time.sleep(0.05)
        with sf() as s:
            assert s.get(BackgroundJob, job_id).status is JobStatus.DONE
    finally:
        worker.stop()
    assert not worker.alive()


def test_the_tagger_matches_on_its_own_thread_not_the_bus(container, shop, monkeypatch) -> None:
    tagger = container.tagger()
    threads: list[str] = []
    done = threading.Event()

    def tag(call_id: int) -> list[str]:
        threads.append(threading.current_thread().name)
        done.set()
        return []

    monkeypatch.setattr(tagger, "tag", tag)
    tagger.start()
    try:
        container.bus.publish(TranscriptReady(call_id=shop.call_id, transcript_id=1))
        assert done.wait(10)
    finally:
        tagger.stop()
    assert threads == ["tagger"]


def test_rules_are_bounded(container, shop, app) -> None:
    with pytest.raises(keywords.RuleError, match="8 words"):
        keywords.clean_rule("r", ["one two three four five six seven eight nine"], "t", None, "fail")
    with pytest.raises(keywords.RuleError, match="100 characters"):
        keywords.clean_rule("r", ["x" * 101], "t", None, "fail")
    sf = container.session_factory
    with transaction(sf) as s:
        for n in range(keywords.MAX_ACTIVE_RULES):
            s.add(KeywordRule(name=f"r{n}", phrases=[f"word{n}"], tag=f"t{n}", mark="fail"))
        s.add(KeywordRule(name="off", phrases=["off"], tag="off", mark="fail", is_active=False))
    ada = Actor.system("test")
    with transaction(sf) as s, pytest.raises(keywords.RuleError, match="At most 100 rules"):
        keywords.add_rule(s, ada, keywords.clean_rule("more", ["more"], "more", None, "fail"))
    client = app.test_client()
    sign_in(client, "quinn", PASSWORD)
    token = csrf_token(client, "/qa/rules")
    page = client.post("/qa/rules", data={"csrf_token": token, "name": "more", "phrases": "more", "tag": "more",
                                          "mark": "fail"})
    assert page.status_code == 400 and "At most 100 rules" in page.get_data(as_text=True)
    with sf() as s:
        off_id = s.scalar(select(KeywordRule.id).where(KeywordRule.name == "off"))
    assert client.post(f"/qa/rules/{off_id}/toggle", data={"csrf_token": token}).status_code == 303
    with sf() as s:
        assert s.get(KeywordRule, off_id).is_active is False  # switching it on would pass the bound
    # Matching stays cheap: a long transcript against every rule.
    turns = [{"speaker": "caller", "start": 0.0, "end": 1.0,
              "words": [{"w": f"word{i % 150}", "start": i * 0.1, "end": i * 0.1 + 0.1, "conf": 1.0}
                        for i in range(20000)]}]
    with sf() as s:
        phrases = [p for r in keywords.active_rules(s) for p in r.phrases]
    assert len(keywords.find(turns, phrases)) == sum(1 for i in range(20000) if i % 150 < 100)
