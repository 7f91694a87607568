"""The one event the people package publishes: an agent's profile changed (presence and the dispatcher follow)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import AgentProfileChanged


class PeopleNotifier(Notifier):
    def profile_changed(self, session: Session, user_id: int, queues: list[str], actor: Actor) -> None:
        self._publish(AgentProfileChanged(user_id=user_id, queues=queues, actor=actor.name), session)
