"""Who heard or changed what: an append-only audit trail."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str40, str80, utcnow


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_object", "object_type", "object_id"))

    id: Mapped[intpk]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text too, so the trail survives the user's deletion.
    actor_name: Mapped[str80] = mapped_column(default="system")
    action: Mapped[str80]
    object_type: Mapped[Optional[str40]]
    object_id: Mapped[Optional[str80]]
    ip: Mapped[Optional[str40]]
    outcome: Mapped[str40] = mapped_column(default="ok")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
