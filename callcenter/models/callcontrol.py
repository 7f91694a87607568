"""What the desk asked the PBX to do with a call: one row per click-to-call request."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, e164, intpk, str40, str80, str200, str_enum, updated_at


class ClickStatus(str, enum.Enum):
    REQUESTED = "requested"  # claimed; the Originate is being sent
    DIALLING = "dialling"    # Asterisk took the Originate (or its channel was seen)
    FAILED = "failed"        # refused before or by Asterisk: nothing rang
    UNKNOWN = "unknown"      # the AMI link dropped with no trace of the call: never re-sent


class ClickCall(Base):
    """One click-to-call: the agent's phone rings first, then the customer.

    ``idempotency_key`` comes from the page (one per rendered button), so a
    double click is one row.  ``live_slot`` ("<agent>:<number>") is unique
    while the call may still be ringing or talking, so a second button for
    the same agent and number gets the same call; it is cleared once the
    call is over or failed.
    """

    __tablename__ = "click_calls"

    id: Mapped[intpk]
    idempotency_key: Mapped[str80] = mapped_column(unique=True)
    live_slot: Mapped[Optional[str80]] = mapped_column(unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[e164]
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    callback_id: Mapped[Optional[int]] = mapped_column(ForeignKey("callbacks.id", ondelete="SET NULL"))
    pbx: Mapped[str40]
    # The agent's phone rung first (PJSIP/webrtc1001 or PJSIP/agent1001).
    phone: Mapped[Optional[str80]]
    # The Originate's key: its channel (and the call's Linkedid) is "cc-<key>".
    originate_key: Mapped[str40]
    call_id: Mapped[Optional[int]] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    status: Mapped[ClickStatus] = mapped_column(str_enum(ClickStatus), default=ClickStatus.REQUESTED)
    detail: Mapped[str200] = mapped_column(default="")
    sent_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
