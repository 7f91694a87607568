"""Incident mode: an outage declared on a problem ticket, what the IVR tells its callers, and who asked to be told
when it is fixed."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, e164, intpk, str20, str80, str_enum, updated_at


class IncidentStatus(str, enum.Enum):
    PROPOSED = "proposed"  # the rate watch saw a surge; a supervisor declares or dismisses it
    OPEN = "open"  # callers of its queue or category hear the message
    ENDED = "ended"  # solved (its subscribers are told) or ended by hand
    DISMISSED = "dismissed"  # a proposal that was not an incident


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status", "status"),)

    id: Mapped[intpk]
    status: Mapped[IncidentStatus] = mapped_column(str_enum(IncidentStatus), default=IncidentStatus.OPEN)
    # The problem ticket the callers' tickets link to (none yet while only proposed).
    problem_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    # Whose callers hear it: a queue's, a menu category's, or (both empty) every caller's.
    queue_name: Mapped[Optional[str80]]
    category: Mapped[Optional[str80]]
    message_en: Mapped[str] = mapped_column(Text, default="")
    message_zh: Mapped[str] = mapped_column(Text, default="")
    # Bumped when a message changes: the spoken file's name carries it, so callers never hear the old one.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # A proposal's evidence: how many new tickets or calls in how many minutes.
    seen: Mapped[int] = mapped_column(Integer, default=0)
    window_minutes: Mapped[int] = mapped_column(Integer, default=0)
    declared_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    declared_at: Mapped[Optional[dt.datetime]]
    ended_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    def message(self, language: str) -> str:
        """The message in ``language``, else the other one (an incident declared in one language only)."""
        first, second = (self.message_zh, self.message_en) if language == "zh" else (self.message_en, self.message_zh)
        return (first or second or "").strip()


class NoticeStatus(str, enum.Enum):
    WAITING = "waiting"  # until the problem is solved
    DUE = "due"  # solved: the dispatcher calls within calling hours
    DIALING = "dialing"  # set once, before the dial (never dialled twice)
    TOLD = "told"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the incident ended without a fix to announce


class PhoneNotice(Base):
    """A call that tells someone something, placed by the dispatcher: an incident's subscriber (who pressed 1;
    one per number and incident, whatever the dialplan or the caller retries) told it is fixed, or a caller
    with only a phone told a ticket's reply (``text``, spoken; one per ticket and number)."""

    __tablename__ = "phone_notices"
    __table_args__ = (UniqueConstraint("incident_id", "number"), UniqueConstraint("ticket_id", "number"),
                      Index("ix_phone_notices_status", "status", "due_at"))

    id: Mapped[intpk]
    incident_id: Mapped[Optional[int]] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # What the call says (a ticket's reply, spoken with espeak-ng); empty: the fixed "it is fixed" prompt.
    text: Mapped[str] = mapped_column(Text, default="")
    number: Mapped[e164]
    language: Mapped[Optional[str20]]
    call_id: Mapped[Optional[int]] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    status: Mapped[NoticeStatus] = mapped_column(str_enum(NoticeStatus), default=NoticeStatus.WAITING)
    due_at: Mapped[Optional[dt.datetime]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[Optional[dt.datetime]]
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
