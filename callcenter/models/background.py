"""Long work a person asked for (re-applying rules, big exports), run off the request in short transactions."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text
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
