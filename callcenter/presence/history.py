"""Moving an agent from one state to the next: the current row and its span history in one step.

A signed-in agent has exactly one open span (``ended_at`` empty) whose
state and reason are the row's; signing out closes it and opens none, so
time in each state is the sum of spans (reports clip them to a period).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..models import AgentPresence, PresenceSpan, PresenceState


def move(session: Session, row: AgentPresence, state: PresenceState, now: dt.datetime, *,
         reason: str | None = None, wrapup_until: dt.datetime | None = None) -> bool:
    """Put the row in ``state``; False (nothing written) if it already is exactly there."""
    if row.state is state and row.reason == reason and row.wrapup_until == wrapup_until:
        return False
    if row.state is not state or row.reason != reason:
        session.execute(update(PresenceSpan).where(PresenceSpan.user_id == row.user_id,
                                                   PresenceSpan.ended_at.is_(None)).values(ended_at=now))
        if state is not PresenceState.SIGNED_OUT:
            session.add(PresenceSpan(user_id=row.user_id, state=state, reason=reason, started_at=now))
        row.since = now
    row.state, row.reason, row.wrapup_until = state, reason, wrapup_until
    session.flush()
    return True
