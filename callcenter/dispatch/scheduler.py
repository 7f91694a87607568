"""APScheduler 3 on the project's own database: timed work that survives restarts.

* Job store: ``SQLAlchemyJobStore`` on the same engine, table ``dispatch_jobs``
  (declared in the models, created by the migrations).  Jobs are pickled as
  references to module-level functions in ``callcenter.dispatch.jobs`` plus
  integer IDs, never objects.
* Only the elected dispatcher (``leader.py``) starts a scheduler: a job store
  is never shared by two running schedulers.
* Misfires: ``misfire_grace_time=None`` runs a late job however late it is
  (a date job skipped as "missed" would be deleted, i.e. dropped), and
  ``coalesce=True`` runs a late interval job once, not once per missed
  tick.  Lateness is then a business decision made by the job itself:
  callbacks move into calling hours, surveys expire after ``expire_hours``,
  SLA checks recompute from the clock.  The periodic reconcile re-creates
  any job whose row is still pending in the database, so even a job lost
  between "removed from the store" and "ran" is done later, once.
* Every run claims an idempotency key before side effects (``runs.py``).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select

from ..config import SchedulerSettings
from ..models import SchedulerJob

TABLE = SchedulerJob.__tablename__
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


def build(engine: Engine, cfg: SchedulerSettings) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=cfg.workers)},
        job_defaults=JOB_DEFAULTS,
        timezone=dt.UTC,
    )


def at(scheduler: BackgroundScheduler, job_id: str, func: Callable[..., Any], when: dt.datetime,
       *args: int) -> None:
    """Run ``func(*args)`` at ``when``; the id makes it one job per piece of work."""
    scheduler.add_job(func, "date", run_date=when, args=list(args), id=job_id,
                      replace_existing=True, name=job_id)


def every(scheduler: BackgroundScheduler, job_id: str, func: Callable[..., Any], seconds: float) -> None:
    scheduler.add_job(func, "interval", seconds=seconds, id=job_id, replace_existing=True, name=job_id,
                      next_run_time=dt.datetime.now(dt.UTC))


def scheduled_ids(engine: Engine) -> set[str]:
    """Job ids in the store, read straight from the table (no unpickling)."""
    with engine.connect() as conn:
        return set(conn.scalars(select(SchedulerJob.id)))


def queued(engine: Engine, limit: int = 50) -> list[tuple[str, dt.datetime | None]]:
    """The next jobs due, for `dispatch status`."""
    with engine.connect() as conn:
        rows = conn.execute(select(SchedulerJob.id, SchedulerJob.next_run_time)
                            .order_by(SchedulerJob.next_run_time).limit(limit))
        return [(job_id, dt.datetime.fromtimestamp(t, dt.UTC) if t is not None else None)
                for job_id, t in rows]
