"""Promises made to callers after the call: callbacks and satisfaction surveys."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, e164, intpk, str20, str_enum, updated_at


class CallbackStatus(str, enum.Enum):
    PENDING = "pending"
    DIALING = "dialing"
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELLED = "cancelled"


class CallbackSource(str, enum.Enum):
    IVR = "ivr"
    AGENT = "agent"
    ABANDONED = "abandoned"
    API = "api"


class Callback(Base):
    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_status_due", "status", "due_at"),)

    id: Mapped[intpk]
    number: Mapped[e164]
    source: Mapped[CallbackSource] = mapped_column(str_enum(CallbackSource))
    status: Mapped[CallbackStatus] = mapped_column(
        str_enum(CallbackStatus), default=CallbackStatus.PENDING
    )
    call_id: Mapped[Optional[int]] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    queue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    language: Mapped[Optional[str20]]
    due_at: Mapped[dt.datetime]
    # The promise: call back no later than this.
    sla_due_at: Mapped[Optional[dt.datetime]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    next_attempt_at: Mapped[Optional[dt.datetime]]
    last_attempt_at: Mapped[Optional[dt.datetime]]
    completed_at: Mapped[Optional[dt.datetime]]
    outcome_detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class SurveyStatus(str, enum.Enum):
    PENDING = "pending"
    # The dispatcher has placed the outbound survey call (set once, before dialling).
    DIALING = "dialing"
    COMPLETED = "completed"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    FAILED = "failed"


class SurveyChannel(str, enum.Enum):
    IVR = "ivr"  # straight after the agent hangs up
    OUTBOUND = "outbound"  # a call placed after the ticket is resolved


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[intpk]
    channel: Mapped[SurveyChannel] = mapped_column(str_enum(SurveyChannel))
    status: Mapped[SurveyStatus] = mapped_column(str_enum(SurveyStatus), default=SurveyStatus.PENDING)
    call_id: Mapped[Optional[int]] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    # At most one survey per ticket.
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), unique=True)
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    score: Mapped[Optional[int]] = mapped_column(Integer)
    comment_recording_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL")
    )
    scheduled_at: Mapped[Optional[dt.datetime]]
    completed_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
