"""The one event presence publishes: an agent's declared state changed (``source="desk"``)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..bus import Notifier
from ..events import AgentStateChanged
from ..models import AgentPresence


class PresenceNotifier(Notifier):
    def changed(self, session: Session, row: AgentPresence, phone: str | None) -> None:
        self._publish(AgentStateChanged(
            pbx=row.pbx, interface=phone or "", state=row.state.value, paused_reason=row.reason,
            queues=list(row.queues or []), agent_id=row.user_id, source="desk", since=row.since.timestamp(),
            wrapup_until=row.wrapup_until.timestamp() if row.wrapup_until else None), session)
