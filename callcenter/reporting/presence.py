"""Time in each state per agent, from the presence history: the spans clipped to the report's period.

A span still open counts up to now.  Paused time is also split by reason
code, so "lunch" and "back office" read apart.  Agents are narrowed like
every other figure: the chosen agent, else the members of the teams the
viewer may read.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import PresenceSpan, PresenceState, User, utcnow
from .figures import ReportFilter, members

STATES = [s.value for s in PresenceState if s is not PresenceState.SIGNED_OUT]


def time_in_state(session: Session, f: ReportFilter, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per agent: seconds signed in, per state and per pause reason, within [f.start, f.end)."""
    now = now or utcnow()
    end = min(f.end, now)
    query = (select(PresenceSpan, User.username, User.display_name).join(User, User.id == PresenceSpan.user_id)
             .where(PresenceSpan.started_at < end,
                    or_(PresenceSpan.ended_at.is_(None), PresenceSpan.ended_at > f.start))
             .order_by(User.username, PresenceSpan.started_at))
    if f.agent_id is not None:
        query = query.where(PresenceSpan.user_id == f.agent_id)
    teams = f.teams()
    if teams is not None:
        query = query.where(PresenceSpan.user_id.in_(members(teams)))
    rows: dict[int, dict[str, Any]] = {}
    for span, username, display_name in session.execute(query).tuples():
        seconds_in = (min(span.ended_at or end, end) - max(span.started_at, f.start)).total_seconds()
        if seconds_in <= 0:
            continue
        row = rows.setdefault(span.user_id, {"agent_id": span.user_id, "agent": display_name or username,
                                             "signed_in": 0, **dict.fromkeys(STATES, 0), "reasons": {}})
        row[span.state.value] += round(seconds_in)
        row["signed_in"] += round(seconds_in)
        if span.state is PresenceState.PAUSED:
            row["reasons"][span.reason or ""] = row["reasons"].get(span.reason or "", 0) + round(seconds_in)
    return list(rows.values())
