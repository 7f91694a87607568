"""One method per event the pops publish."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..bus import Notifier
from ..events import PopHandled
from ..models import DeskPop


class PopNotifier(Notifier):
    def handled(self, session: Session, pop: DeskPop) -> None:
        """Leaves with the transaction that handled the pop: every tab of the agent, in every web process, drops it."""
        self._publish(PopHandled(user_id=pop.user_id, call_id=pop.call_id, key=pop.key, outcome=pop.outcome or "",
                                 ticket_id=pop.ticket_id), session)
