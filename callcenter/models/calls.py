"""What Asterisk saw: one Call per Linkedid, its legs and its recordings."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, created_at, e164, intpk, str20, str40, str80, str200, str_enum, updated_at


class Direction(str, enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"  # callbacks and survey calls we place
    INTERNAL = "internal"


class CallStatus(str, enum.Enum):
    ACTIVE = "active"
    COMPLETE = "complete"
    # The bridge missed the end (PBX or bridge restart): closed, not left open.
    INTERRUPTED = "interrupted"


class Disposition(str, enum.Enum):
    ANSWERED = "answered"
    ABANDONED_QUEUE = "abandoned_queue"
    ABANDONED_IVR = "abandoned_ivr"
    CALLBACK_REQUESTED = "callback_requested"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


class Call(Base):
    """One customer interaction, however many channels it used."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("pbx", "linkedid"),
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_caller_number", "caller_number"),
    )

    id: Mapped[intpk]
    pbx: Mapped[str40]
    linkedid: Mapped[str40]
    direction: Mapped[Direction] = mapped_column(str_enum(Direction), default=Direction.INBOUND)
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus), default=CallStatus.ACTIVE)
    caller_number: Mapped[Optional[e164]]
    # The raw caller ID as received, for numbers that are not valid E.164.
    caller_raw: Mapped[Optional[str80]]
    caller_name: Mapped[Optional[str80]]
    did: Mapped[Optional[str40]]
    language: Mapped[Optional[str20]]
    customer_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    # Menu path and choices the IVR set, e.g. {"path": ["1"], "category": "support"}.
    ivr: Mapped[dict[str, Any]] = mapped_column(default=dict)
    queue_name: Mapped[Optional[str80]]
    queue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    agent_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Every agent interface rung, in order, answered or not.
    agents_rung: Mapped[list[str]] = mapped_column(default=list)
    ticket_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL", use_alter=True), index=True
    )
    started_at: Mapped[dt.datetime]
    queued_at: Mapped[Optional[dt.datetime]]
    answered_at: Mapped[Optional[dt.datetime]]
    transferred_at: Mapped[Optional[dt.datetime]]
    ended_at: Mapped[Optional[dt.datetime]]
    wait_seconds: Mapped[Optional[float]]
    talk_seconds: Mapped[Optional[float]]
    hold_seconds: Mapped[float] = mapped_column(default=0.0)
    hangup_cause: Mapped[Optional[int]] = mapped_column(Integer)
    hangup_cause_text: Mapped[Optional[str80]]
    disposition: Mapped[Optional[Disposition]] = mapped_column(str_enum(Disposition))
    # The agent closed the call's pop without a ticket: why (a wrap-up code of kind no_ticket), who, when.
    no_ticket_reason: Mapped[Optional[str40]]
    no_ticket_note: Mapped[Optional[str200]]
    no_ticket_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    no_ticket_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    legs: Mapped[list[CallLeg]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallLeg.started_at"
    )
    recordings: Mapped[list[Recording]] = relationship(
        back_populates="call", cascade="all, delete-orphan"
    )


class LegKind(str, enum.Enum):
    CALLER = "caller"
    AGENT = "agent"
    LOCAL = "local"
    OUTBOUND = "outbound"


class CallLeg(Base):
    """One Asterisk channel that took part in the call."""

    __tablename__ = "call_legs"
    __table_args__ = (UniqueConstraint("call_id", "uniqueid"),)

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    uniqueid: Mapped[str40]
    channel: Mapped[str200]
    kind: Mapped[LegKind] = mapped_column(str_enum(LegKind))
    interface: Mapped[Optional[str80]]
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime]
    answered_at: Mapped[Optional[dt.datetime]]
    ended_at: Mapped[Optional[dt.datetime]]
    hangup_cause: Mapped[Optional[int]] = mapped_column(Integer)
    # answered, no_answer, busy, failed, transferred ...
    outcome: Mapped[Optional[str20]]

    call: Mapped[Call] = relationship(back_populates="legs")


class Party(str, enum.Enum):
    MIXED = "mixed"
    CALLER = "caller"
    AGENT = "agent"


class Recording(Base):
    """A MixMonitor file. Served only by id, never by a path from a request."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("path"),)

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    leg_uniqueid: Mapped[Optional[str40]]
    party: Mapped[Party] = mapped_column(str_enum(Party), default=Party.MIXED)
    # Relative to the recordings directory of the call's PBX.
    path: Mapped[str] = mapped_column(String(400))
    format: Mapped[str20] = mapped_column(default="wav")
    duration_seconds: Mapped[Optional[float]]
    size_bytes: Mapped[Optional[int]]
    started_at: Mapped[Optional[dt.datetime]]
    ended_at: Mapped[Optional[dt.datetime]]
    # Spans (seconds from start) muted by MixMonitorMute, e.g. a payment step.
    muted_spans: Mapped[list[Any]] = mapped_column(default=list)
    purged_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]

    call: Mapped[Call] = relationship(back_populates="recordings")
