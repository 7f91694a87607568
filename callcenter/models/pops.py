"""Screen pops kept on the server until the agent handles them, so a reload or a second tab shows the same queue."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, intpk, str20, str80, str_enum, updated_at


class PopState(str, enum.Enum):
    RINGING = "ringing"      # the agent's phone rings
    ANSWERED = "answered"    # they took the call
    ENDED = "ended"          # the call is over; the agent still owes it a ticket or a reason
    HANDLED = "handled"      # ticket filed, attached or "no ticket needed"
    WITHDRAWN = "withdrawn"  # rang elsewhere or stopped ringing before this agent answered


# Pops the desk still shows, oldest first.
OPEN_POP_STATES = (PopState.RINGING, PopState.ANSWERED, PopState.ENDED)


class DeskPop(Base):
    """One call popped on one agent's desk."""

    __tablename__ = "desk_pops"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_desk_pops_user_state", "user_id", "state"),
        # Every web process moves a call's pops by its key when the bridge reports the call.
        Index("ix_desk_pops_key", "key"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    # "<pbx>:<linkedid>", the key the desk's stream uses.
    key: Mapped[str80]
    state: Mapped[PopState] = mapped_column(str_enum(PopState), default=PopState.RINGING)
    # What the desk shows (caller, customer, history, IVR choices), built once at the ring.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # How it was handled: ticket, attached, no_ticket.
    outcome: Mapped[Optional[str20]]
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    handled_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
