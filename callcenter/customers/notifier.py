"""The events about customers: one was created (from the desk, the API or a channel) or updated (a CRM's
sync), two were merged."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import CustomerCreated, CustomersMerged, CustomerUpdated
from ..models import Customer


class CustomerNotifier(Notifier):
    def created(self, session: Session, customer: Customer, actor: Actor) -> None:
        self._publish(CustomerCreated(customer_id=customer.id, actor=actor.name), session)

    def updated(self, session: Session, customer: Customer, fields: list[str], actor: Actor) -> None:
        self._publish(CustomerUpdated(customer_id=customer.id, fields=list(fields), actor=actor.name), session)

    def merged(self, session: Session, customer_id: int, merged_id: int, actor: Actor) -> None:
        self._publish(CustomersMerged(customer_id=customer_id, merged_id=merged_id, actor=actor.name), session)
