"""Agent presence: what each agent declared at the desk now, and every span of it since.

``AgentPresence`` is the one current row per agent the desk, the AMI bridge
and the dispatcher read; ``PresenceSpan`` rows are its history (one open
span per signed-in agent), so reports can sum time in each state.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str20, str80, str_enum, updated_at, utcnow


class PresenceState(str, enum.Enum):
    SIGNED_OUT = "signed_out"
    AVAILABLE = "available"
    ON_CALL = "on_call"      # answered a queue call (the bridge says so)
    WRAP_UP = "wrap_up"      # after a queue call, until the form is in or wrapup_until
    PAUSED = "paused"        # with a reason code from [presence] pause_codes


class AgentPresence(Base):
    __tablename__ = "agent_presence"
    __table_args__ = (Index("ix_agent_presence_pbx_state", "pbx", "state"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[PresenceState] = mapped_column(str_enum(PresenceState))
    reason: Mapped[Optional[str20]]
    # The interface the queues ring: PJSIP/webrtc<extension> or the desk phone.
    phone: Mapped[Optional[str80]]
    pbx: Mapped[str80] = mapped_column(default="")
    # Queue names the agent is signed in to.
    queues: Mapped[list[str]] = mapped_column(default=list)
    since: Mapped[dt.datetime] = mapped_column(default=utcnow)
    wrapup_until: Mapped[Optional[dt.datetime]]
    updated_at: Mapped[updated_at]


class PresenceSpan(Base):
    """One stretch of one state; ``ended_at`` is empty while it lasts."""

    __tablename__ = "presence_spans"
    __table_args__ = (Index("ix_presence_spans_user_started", "user_id", "started_at"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[PresenceState] = mapped_column(str_enum(PresenceState))
    reason: Mapped[Optional[str20]]
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    ended_at: Mapped[Optional[dt.datetime]]
