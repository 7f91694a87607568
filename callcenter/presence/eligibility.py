"""Who the dispatcher may give new tickets, by what the agent declared at the desk.

An agent without a presence row (never signed in at the desk) is
eligible as before; a signed-out agent is not, nor one paused with a
reason that does not take tickets (lunch yes, back office no).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import PresenceSettings
from ..models import AgentPresence, PresenceState


def takes_tickets(row: AgentPresence | None, settings: PresenceSettings) -> bool:
    if row is None:
        return True
    if row.state is PresenceState.SIGNED_OUT:
        return False
    if row.state is PresenceState.PAUSED:
        code = settings.pause_codes.get(row.reason or "")
        return bool(code and code.takes_tickets)
    return True


def presence_by_agent(session: Session) -> dict[int, AgentPresence]:
    return {row.user_id: row for row in session.scalars(select(AgentPresence))}
