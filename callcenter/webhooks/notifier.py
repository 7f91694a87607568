"""The webhooks' events; each leaves only when its transaction commits."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import WebhookEndpointChanged, WebhookEndpointFailing, WebhookEndpointRecovered
from ..models import WebhookEndpoint


class WebhookNotifier(Notifier):
    def changed(self, session: Session, endpoint_id: int, actor: Actor) -> None:
        self._publish(WebhookEndpointChanged(endpoint_id=endpoint_id, actor=actor.name), session)

    def failing(self, session: Session, endpoint: WebhookEndpoint, delivery_id: int, error: str) -> None:
        self._publish(WebhookEndpointFailing(endpoint_id=endpoint.id, endpoint=endpoint.name, delivery_id=delivery_id,
                                             error=error[:300]), session)

    def recovered(self, session: Session, endpoint: WebhookEndpoint) -> None:
        self._publish(WebhookEndpointRecovered(endpoint_id=endpoint.id, endpoint=endpoint.name), session)
