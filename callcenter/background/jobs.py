"""Background job rows: submit, claim, report progress, finish; who may see a job."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .. import db
from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Message, Refusal
from ..models import BackgroundJob, JobStatus, Role, User, utcnow

S = JobStatus
MAX_ATTEMPTS = 3


class JobError(Refusal):
    """The job cannot go on; its requester reads why in their language (``result["said"]``)."""

# Why a job failed, when it was not a JobError: what its requester reads (the details are logged).
BROKE = Message(N_("something went wrong on our side; it has been logged"))
LOST = Message(N_("the worker was lost too often"))


def submit(session: Session, actor: Actor, kind: str, params: dict[str, Any], label: str) -> BackgroundJob:
    """Queue ``kind`` for ``actor``, or give back the same job already queued or running for them."""
    for same in session.scalars(select(BackgroundJob).where(
            BackgroundJob.kind == kind, BackgroundJob.requested_by_id == actor.user_id,
            BackgroundJob.status.in_([S.QUEUED, S.RUNNING])).order_by(BackgroundJob.id)):
        if same.params == params:
            return same
    job = BackgroundJob(kind=kind, params=params, label=label[:200], requested_by_id=actor.user_id)
    session.add(job)
    session.flush()
    audit.record(session, "background_job_submitted", actor, object_type="background_job", object_id=job.id,
                 kind=kind, params=params)
    return job


def claim(session: Session, worker: str) -> BackgroundJob | None:
    """The oldest queued job, now running for ``worker``."""
    q = select(BackgroundJob).where(BackgroundJob.status == S.QUEUED).order_by(BackgroundJob.id).limit(1)
    if db.is_postgres(session):
        q = q.with_for_update(skip_locked=True)
    job = session.scalar(q)
    if job is None:
        return None
    now = utcnow()
    job.status, job.worker, job.started_at, job.heartbeat_at = S.RUNNING, worker, now, now
    job.attempts += 1
    return job


def progress(session: Session, job_id: int, worker: str, done: int, total: int) -> bool:
    """Record how far the job is; False if ``worker`` no longer holds it (it was requeued)."""
    res = session.execute(update(BackgroundJob)
                          .where(BackgroundJob.id == job_id, BackgroundJob.worker == worker,
                                 BackgroundJob.status == S.RUNNING)
                          .values(done=done, total=total, heartbeat_at=utcnow(), updated_at=utcnow()))
    return db.rowcount(res) == 1


def finish(session: Session, job_id: int, worker: str, result: dict[str, Any]) -> None:
    job = session.get(BackgroundJob, job_id)
    if job is None or job.worker != worker or job.status != S.RUNNING:
        return
    job.status, job.result, job.finished_at, job.error = S.DONE, result, utcnow(), None
    job.done = max(job.done, job.total)


def fail(session: Session, job_id: int, worker: str, error: str, said: Message = BROKE) -> None:
    """``error`` (English, technical) for the logs and admins; ``said`` for its requester."""
    job = session.get(BackgroundJob, job_id)
    if job is None or job.worker != worker or job.status != S.RUNNING:
        return
    job.status, job.error, job.finished_at = S.FAILED, error[:2000], utcnow()
    job.result = {**job.result, "said": said.value()}


def requeue_lost(session: Session, heartbeat_timeout: float) -> int:
    """Running jobs whose worker stopped beating (its process died): queued again, or failed after retries."""
    cutoff = utcnow() - dt.timedelta(seconds=heartbeat_timeout)
    lost = or_(BackgroundJob.heartbeat_at.is_(None), BackgroundJob.heartbeat_at < cutoff)
    failed = session.execute(update(BackgroundJob)
                             .where(BackgroundJob.status == S.RUNNING, lost, BackgroundJob.attempts >= MAX_ATTEMPTS)
                             .values(status=S.FAILED, error=str(LOST), result={"said": LOST.value()},
                                     finished_at=utcnow()))
    again = session.execute(update(BackgroundJob)
                            .where(BackgroundJob.status == S.RUNNING, lost)
                            .values(status=S.QUEUED, worker=None, error="worker lost; queued again"))
    return db.rowcount(failed) + db.rowcount(again)


def visible(job: BackgroundJob, viewer: User) -> bool:
    """Its requester sees a job; so do admins."""
    return viewer.role is Role.ADMIN or job.requested_by_id == viewer.id


def percent(job: BackgroundJob) -> int:
    if job.status is S.DONE:
        return 100
    return int(100 * job.done / job.total) if job.total else 0


def result_file(session: Session, actor: Actor, job: BackgroundJob, directory: Path) -> Path | None:
    """A finished export's file, for its requester (audited); None if there is none (any more)."""
    name = str(job.result.get("file") or "")
    if job.status is not S.DONE or name != f"{job.id}.csv":
        return None
    path = directory / name
    if not path.is_file():
        return None
    audit.record(session, "export_downloaded", actor, object_type="background_job", object_id=job.id,
                 kind=job.kind, rows=job.result.get("rows"))
    return path
