"""The queue on SQLite and PostgreSQL: claim once, retry with backoff, recover lost jobs."""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.models import CallStatus, Party, Recording, Transcript, utcnow
from callcenter.models.transcripts import TranscriptStatus as S
from callcenter.transcribe import jobs


def new_call(session_factory, n: int, ended: bool = False, recording: bool = False) -> int:
    with transaction(session_factory) as s:
        past = utcnow() - dt.timedelta(minutes=5)
        call = ensure_call(s, "lab", f"170000.{n}", started_at=past,
                           status=CallStatus.COMPLETE if ended else CallStatus.ACTIVE,
                           ended_at=past if ended else None)
        if recording:
            s.add(Recording(call_id=call.id, path=f"{n}.wav", party=Party.MIXED))
        return call.id


def claim(s: Session, worker: str) -> Transcript:
    """``jobs.claim`` where the test expects a job to be due."""
    job = jobs.claim(s, worker)
    assert job is not None, "no job was claimed"
    return job


def test_enqueue_is_idempotent_and_redoes_finished_jobs(session_factory) -> None:
    call_id = new_call(session_factory, 1)
    with transaction(session_factory) as s:
        first = jobs.enqueue(s, call_id)
        again = jobs.enqueue(s, call_id)
        assert first.id == again.id and again.status == S.QUEUED
    with transaction(session_factory) as s:
        job = jobs.claim(s, "w1")
        assert job is not None and job.status == S.RUNNING and job.attempts == 1
        job.status = S.DONE
    with transaction(session_factory) as s:  # a new recording arrived: transcribe again
        assert jobs.enqueue(s, call_id).status == S.QUEUED
        assert len(s.scalars(select(Transcript)).all()) == 1


def test_transient_failures_back_off_then_fail(session_factory, settings) -> None:
    cfg = settings.transcribe.model_copy(update={"max_attempts": 2, "retry_delay": 60.0})
    with transaction(session_factory) as s:
        jobs.enqueue(s, new_call(session_factory, 2))
    with transaction(session_factory) as s:
        job = claim(s, "w1")
        assert jobs.fail(job, "AudioMissing: not yet", True, cfg)
        assert job.status == S.QUEUED and job.not_before is not None
        assert job.not_before > utcnow() + dt.timedelta(seconds=50)
    with transaction(session_factory) as s:
        assert jobs.claim(s, "w1") is None  # not due yet
        queued = s.scalar(select(Transcript))
        assert queued is not None
        queued.not_before = utcnow() - dt.timedelta(seconds=1)
    with transaction(session_factory) as s:
        job = claim(s, "w1")
        assert job.attempts == 2
        assert not jobs.fail(job, "AudioMissing: still not", True, cfg)
        assert job.status == S.FAILED and "still not" in (job.error or "")
    with transaction(session_factory) as s:
        assert jobs.requeue_failed(s) == 1


def test_corrupt_audio_is_not_retried(session_factory, settings) -> None:
    with transaction(session_factory) as s:
        jobs.enqueue(s, new_call(session_factory, 3))
    with transaction(session_factory) as s:
        job = claim(s, "w1")
        assert not jobs.fail(job, "AudioCorrupt: garbage", False, settings.transcribe)
        assert job.status == S.FAILED


def test_lost_and_missed_jobs_are_recovered(session_factory) -> None:
    with transaction(session_factory) as s:
        jobs.enqueue(s, new_call(session_factory, 4))
    with transaction(session_factory) as s:
        job = claim(s, "dead-worker")
        job.started_at = utcnow() - dt.timedelta(hours=2)
    with transaction(session_factory) as s:
        assert jobs.requeue_lost(s, 3600) == 1
    with transaction(session_factory) as s:
        assert claim(s, "w2").worker == "w2"
    missed = new_call(session_factory, 5, ended=True, recording=True)
    new_call(session_factory, 6, ended=False, recording=True)   # still up: not yet
    new_call(session_factory, 7, ended=True, recording=False)   # nothing to transcribe
    with transaction(session_factory) as s:
        assert jobs.enqueue_missed(s) == 1
    with transaction(session_factory) as s:
        assert s.scalar(select(Transcript.call_id).where(Transcript.status == S.QUEUED)) == missed
        assert jobs.enqueue_missed(s) == 0


def test_two_workers_never_take_the_same_job(session_factory, engine) -> None:
    """Concurrent claimants (SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    total = 40
    with transaction(session_factory) as s:
        for n in range(total):
            jobs.enqueue(s, ensure_call(s, "lab", f"race.{n}").id)
    taken: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        start.wait()
        while True:
            with transaction(session_factory) as s:
                job = jobs.claim(s, name)
                if job is None:
                    return
                taken[name].append(job.id)

    threads = [threading.Thread(target=work, args=(n,)) for n in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = taken["a"] + taken["b"]
    assert len(ids) == total and len(set(ids)) == total
    if engine.dialect.name == "postgresql":
        assert taken["a"] and taken["b"], "both workers should have got work"
    with transaction(session_factory) as s:
        rows = s.scalars(select(Transcript)).all()
        assert all(r.status == S.RUNNING and r.attempts == 1 for r in rows)
