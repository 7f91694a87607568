"""Setting up webhook endpoints, and replaying deliveries: checked, audited and announced here, for the admin
pages, the API and the CLI alike."""
from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import db
from ..access import audit
from ..access.audit import Actor
from ..events import CATALOGUE
from ..i18n import N_, Refusal
from ..models import DeliveryStatus, Role, WebhookDelivery, WebhookEndpoint, utcnow
from .notifier import WebhookNotifier
from .outbox import Outbox

MAX_REPLAY = 10_000


class WebhookError(Refusal):
    """An endpoint set-up or replay the service refuses (said in the reader's language by the web)."""


def events() -> list[str]:
    """Every event an endpoint may ask for: the whole catalogue, by name."""
    return sorted(CATALOGUE)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64 (what receivers' libraries take)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class Endpoints:
    def __init__(self, notifier: WebhookNotifier, outbox: Outbox) -> None:
        self.notifier, self.outbox = notifier, outbox

    def save(self, session: Session, actor: Actor, *, name: str, url: str, wanted: Sequence[str],
             active: bool = True, endpoint: WebhookEndpoint | None = None) -> WebhookEndpoint:
        """Add an endpoint (with a new secret), or change one; refused with why before anything is written."""
        _admin(actor)
        name, url = name.strip(), url.strip()
        if not 0 < len(name) <= 80:
            raise WebhookError(N_("A name has 1 to 80 characters."), field="name", code="bad_name")
        clash = session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == name))
        if clash is not None and (endpoint is None or clash != endpoint.id):
            raise WebhookError(N_("Another endpoint has this name."), field="name", code="taken")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000 or any(
                c in url for c in "\r\n\t "):
            raise WebhookError(N_("Give the receiver's full address, starting with https:// or http://."),
                               field="url", code="bad_url")
        unknown = sorted(set(wanted) - set(CATALOGUE))
        if unknown:
            raise WebhookError(N_("Not an event: %(names)s."), field="events", code="unknown_event",
                               names=", ".join(unknown)[:200])
        if not wanted:
            raise WebhookError(N_("Choose at least one event."), field="events", code="required")
        chosen = sorted(set(wanted))
        if endpoint is None:
            endpoint = WebhookEndpoint(name=name, url=url, events=chosen, secret=new_secret(), active=active)
            session.add(endpoint)
            session.flush()
            action = "webhook_added"
        else:
            endpoint.name, endpoint.url, endpoint.events, endpoint.active = name, url, chosen, active
            action = "webhook_changed"
        audit.record(session, action, actor, object_type="webhook_endpoint", object_id=endpoint.id, name=name,
                     url=url, events=chosen, active=active)
        self._changed(session, endpoint.id, actor)
        return endpoint

    def rotate(self, session: Session, actor: Actor, endpoint: WebhookEndpoint) -> str:
        """A new secret: deliveries from now on are signed with it (the old one is gone)."""
        _admin(actor)
        endpoint.secret = new_secret()
        audit.record(session, "webhook_secret_rotated", actor, object_type="webhook_endpoint", object_id=endpoint.id)
        self._changed(session, endpoint.id, actor)
        return endpoint.secret

    def remove(self, session: Session, actor: Actor, endpoint: WebhookEndpoint) -> None:
        """The endpoint and its log; deliveries still owed to it are dropped with it."""
        _admin(actor)
        audit.record(session, "webhook_removed", actor, object_type="webhook_endpoint", object_id=endpoint.id,
                     name=endpoint.name, url=endpoint.url)
        endpoint_id = endpoint.id
        session.delete(endpoint)
        self._changed(session, endpoint_id, actor)

    def replay(self, session: Session, actor: Actor, endpoint: WebhookEndpoint, *, delivery_id: int | None = None,
               since: dt.datetime | None = None, until: dt.datetime | None = None) -> int:
        """Post one delivery again, or every one of the endpoint made in a time range (same ``webhook-id``s,
        in their order); how many are due again."""
        _admin(actor)
        query = update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        if delivery_id is not None:
            query = query.where(WebhookDelivery.id == delivery_id)
        elif since is not None and until is not None and since < until:
            count = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
                WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.created_at >= since,
                WebhookDelivery.created_at < until)) or 0
            if count > MAX_REPLAY:
                raise WebhookError(N_("At most %(n)s deliveries at once: narrow the range."), field="since",
                                   code="too_many", n=f"{MAX_REPLAY:,}")
            query = query.where(WebhookDelivery.created_at >= since, WebhookDelivery.created_at < until)
        else:
            raise WebhookError(N_("Choose a delivery, or a range from an earlier to a later time."), field="since",
                               code="required")
        replayed = db.rowcount(session.execute(query.values(status=DeliveryStatus.PENDING, next_attempt_at=utcnow(),
                                                             lease_until=None)))
        if delivery_id is not None and not replayed:
            raise WebhookError(N_("No such delivery."), code="not_found")
        audit.record(session, "webhook_replayed", actor, object_type="webhook_endpoint", object_id=endpoint.id,
                     delivery_id=delivery_id, since=since and since.isoformat(), until=until and until.isoformat(),
                     deliveries=replayed)
        return replayed

    def _changed(self, session: Session, endpoint_id: int, actor: Actor) -> None:
        self.outbox.forget()
        self.notifier.changed(session, endpoint_id, actor)


def _admin(actor: Actor) -> None:
    if actor.user is not None and actor.role is not Role.ADMIN:
        raise WebhookError(N_("Only admins set up webhooks."), code="forbidden")
