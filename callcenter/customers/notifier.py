"""The events about customers: one was created (from the desk, the API or a channel)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import CustomerCreated
from ..models import Customer


class CustomerNotifier(Notifier):
    def created(self, session: Session, customer: Customer, actor: Actor) -> None:
        self._publish(CustomerCreated(customer_id=customer.id, actor=actor.name), session)
