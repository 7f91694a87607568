"""The dispatcher's own bookkeeping: runs done once, dial attempts, scheduled jobs."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text, Unicode, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, intpk, str20, str40, str80


class JobRun(Base):
    """One run of one piece of timed work, keyed so it can only ever start once.

    The key (``callback:42:attempt:2``, ``sla:7:resolution:breach``) is
    inserted, and committed, before any side effect; a second insert of the
    same key fails, so a restart or a second dispatcher cannot repeat it.
    """

    __tablename__ = "job_runs"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str40]
    started_at: Mapped[created_at]
    finished_at: Mapped[Optional[dt.datetime]]
    # done, failed, skipped ... and why.
    outcome: Mapped[Optional[str20]]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # host:pid of the dispatcher that ran it.
    runner: Mapped[str80] = mapped_column(default="")


class CallbackAttempt(Base):
    """One dial of a callback: what was sent to Asterisk and what came back."""

    __tablename__ = "callback_attempts"
    __table_args__ = (UniqueConstraint("callback_id", "attempt"),)

    id: Mapped[intpk]
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The AMI ActionID that correlates the Originate with its OriginateResponse.
    action_id: Mapped[Optional[str80]]
    started_at: Mapped[created_at]
    ended_at: Mapped[Optional[dt.datetime]]
    # reached, no_answer, busy, failed, unknown
    outcome: Mapped[Optional[str20]]
    detail: Mapped[str] = mapped_column(Text, default="")


class SchedulerJob(Base):
    """APScheduler 3's SQLAlchemyJobStore table, declared here so migrations own it.

    Same columns as the job store creates itself; the store finds the table
    present and leaves it alone.  Jobs are pickled references to module-level
    functions plus their ID arguments (callcenter.dispatch.jobs).
    """

    __tablename__ = "dispatch_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[Optional[float]] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
