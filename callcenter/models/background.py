"""Long work a person asked for (re-applying rules, big exports), run off the request in short transactions."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, intpk, str40, str200, str_enum, updated_at


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackgroundJob(Base):
    """One piece of long work: what, for whom, how far along, and its result."""

    __tablename__ = "background_jobs"
    __table_args__ = (Index("ix_background_jobs_status", "status"),)

    id: Mapped[intpk]
    kind: Mapped[str40]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # {"tags_added": n} or {"file": name, "rows": n}: what the page shows when it is done.
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[Optional[str]] = mapped_column(Text)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    worker: Mapped[Optional[str200]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A running job whose heartbeat stops (its process died) is queued again.
    heartbeat_at: Mapped[Optional[dt.datetime]]
    started_at: Mapped[Optional[dt.datetime]]
    finished_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    label: Mapped[Optional[str]] = mapped_column(String(200))
    # Its requester asked it to stop: the handler ends at its next step (what was done stays done).
    cancel_requested_at: Mapped[Optional[dt.datetime]]


class BulkItemState(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # the job was cancelled before this ticket


class BulkItem(Base):
    """One ticket of a bulk action: its outcome, written in the same transaction as the change, so a job
    resumed after a restart does each ticket once."""

    __tablename__ = "bulk_items"
    __table_args__ = (UniqueConstraint("job_id", "ticket_id"), Index("ix_bulk_items_job_state", "job_id", "state"))

    id: Mapped[intpk]
    job_id: Mapped[int] = mapped_column(ForeignKey("background_jobs.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    state: Mapped[BulkItemState] = mapped_column(str_enum(BulkItemState), default=BulkItemState.PENDING)
    # Why it failed, said in each reader's language (an N_ template and its values).
    reason_template: Mapped[Optional[str]] = mapped_column(String(300))
    reason_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    done_at: Mapped[Optional[dt.datetime]]
