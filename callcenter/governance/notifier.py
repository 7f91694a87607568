"""The event governance publishes: a customer was erased, so copies elsewhere (a CRM) should go too."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import CustomerErased


class ErasureNotifier(Notifier):
    def customer_erased(self, session: Session, customer_id: int, actor: Actor) -> None:
        self._publish(CustomerErased(customer_id=customer_id, actor=actor.name), session)
