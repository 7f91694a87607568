"""The transcription queue: the call's ``Transcript`` row is its job.

Queued -> running -> done | failed.  A claim takes the oldest queued row
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so transcribers on several
machines share one queue and never take the same job; on SQLite the claim's
``BEGIN IMMEDIATE`` transaction serialises claimants.  A transient failure
(file not there or not complete yet) goes back to the queue with a growing
delay; corrupt audio fails at once.  A job whose worker vanished is requeued
after ``job_timeout``.  Every function takes the caller's session and does
not commit: the worker keeps each step a short transaction.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from .. import db
from ..config import TranscribeSettings
from ..db import rowcount
from ..models import Call, CallStatus, Recording, Transcript, utcnow
from ..models.transcripts import TranscriptStatus as S


def enqueue(session: Session, call_id: int, requeue_finished: bool = True) -> Transcript:
    """Queue the call's transcription once; a finished one is redone (new recordings)."""
    now = utcnow()
    row = {"call_id": call_id, "status": S.QUEUED, "turns": [], "text": "", "redactions": [],
           "redacted": False, "attempts": 0, "created_at": now, "updated_at": now}
    inserted = session.execute(
        db.insert(session, Transcript).values(**row).on_conflict_do_nothing(index_elements=["call_id"])
        .returning(Transcript.id)).scalar()
    job = session.scalar(select(Transcript).where(Transcript.call_id == call_id)
                         .execution_options(populate_existing=True))
    assert job is not None
    if requeue_finished and not inserted and job.status in (S.DONE, S.FAILED):
        _reset(job)
    return job


def _reset(job: Transcript) -> None:
    job.status, job.attempts, job.error, job.not_before = S.QUEUED, 0, None, None


def claim(session: Session, worker: str) -> Transcript | None:
    """The oldest job that is due, now marked running for ``worker``."""
    now = utcnow()
    q = (select(Transcript)
         .where(Transcript.status == S.QUEUED,
                or_(Transcript.not_before.is_(None), Transcript.not_before <= now))
         .order_by(Transcript.id).limit(1))
    if db.is_postgres(session):
        q = q.with_for_update(skip_locked=True)
    job = session.scalar(q)
    if job is None:
        return None
    job.status, job.worker, job.started_at = S.RUNNING, worker, now
    job.attempts += 1
    job.finished_at = None
    return job


def mine(session: Session, job_id: int, worker: str) -> Transcript | None:
    """The job if ``worker`` still holds it (a lost job may have gone to another)."""
    job = session.get(Transcript, job_id, with_for_update=db.is_postgres(session))
    if job is None or job.status != S.RUNNING or job.worker != worker:
        return None
    return job


def fail(job: Transcript, error: str, retry: bool, cfg: TranscribeSettings) -> bool:
    """Record a failure; returns True if the job will be tried again."""
    job.error = error[:2000]
    if retry and job.attempts < cfg.max_attempts:
        delay = cfg.retry_delay * 2 ** max(0, job.attempts - 1)
        job.status, job.not_before = S.QUEUED, utcnow() + dt.timedelta(seconds=delay)
        return True
    job.status, job.finished_at = S.FAILED, utcnow()
    return False


def release(job: Transcript) -> None:
    """Give a job back untried (the service is stopping): not the job's fault."""
    job.status, job.worker, job.not_before = S.QUEUED, None, None
    job.attempts = max(0, job.attempts - 1)


def requeue_lost(session: Session, timeout: float) -> int:
    """Jobs running far longer than any recording takes: their worker died."""
    cutoff = utcnow() - dt.timedelta(seconds=timeout)
    res = session.execute(update(Transcript)
                          .where(Transcript.status == S.RUNNING, Transcript.started_at < cutoff)
                          .values(status=S.QUEUED, error="worker lost; requeued", updated_at=utcnow()))
    return rowcount(res)


def enqueue_missed(session: Session, grace: float = 30.0, limit: int = 100) -> int:
    """Ended calls with recordings but no job: a recording_ready event was missed."""
    cutoff = utcnow() - dt.timedelta(seconds=grace)
    ids = session.scalars(
        select(Call.id)
        .where(Call.status != CallStatus.ACTIVE, Call.ended_at < cutoff,
               exists().where(Recording.call_id == Call.id, Recording.purged_at.is_(None)),
               ~exists().where(Transcript.call_id == Call.id))
        .order_by(Call.id).limit(limit)).all()
    for call_id in ids:
        enqueue(session, call_id, requeue_finished=False)
    return len(ids)


def requeue_failed(session: Session) -> int:
    """Operator action after fixing the cause (e.g. installing a missing model)."""
    jobs = session.scalars(select(Transcript).where(Transcript.status == S.FAILED)).all()
    for job in jobs:
        _reset(job)
    return len(jobs)


def backlog(session: Session, now: dt.datetime | None = None) -> dict[str, float | int | None]:
    """What the wallboard shows of the queue: jobs waiting (due now) and running, and since when the oldest
    has waited (``behind``, in seconds: how far transcription is behind the calls)."""
    now = now or utcnow()
    due = (Transcript.status == S.QUEUED) & or_(Transcript.not_before.is_(None), Transcript.not_before <= now)
    queued = session.scalar(select(func.count()).select_from(Transcript).where(due)) or 0
    running = session.scalar(select(func.count()).select_from(Transcript).where(Transcript.status == S.RUNNING)) or 0
    oldest = session.scalar(select(func.min(Transcript.updated_at)).where(due))
    return {"queued": queued, "running": running,
            "behind": round((now - oldest).total_seconds()) if oldest is not None else 0}
