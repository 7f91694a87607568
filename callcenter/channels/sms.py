"""SMS through a generic HTTP gateway: its signed webhooks in (texts, delivery receipts), our replies out.

The gateway signs each webhook with ``X-Signature: sha256=<hex HMAC-SHA256
of the raw body>`` under the shared ``inbound_secret``; nothing unsigned is
read.  A text is stored once per gateway id and finds its customer by the
E.164 number, the same customer who called.  A reply goes out only to a
number the dialling policy allows (a premium-rate number costs us per
message, as it does per minute), and the id the gateway gives it is kept as
the message's channel key, which is how a later receipt finds it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..access.dialling import DiallingPolicy
from ..calls.numbers import try_e164
from ..conversations.notifier import ConversationNotifier
from ..i18n import N_, Refusal
from ..models import Channel, DeliveryState, Message, MessageDirection, Ticket
from .base import DeliveryError, Inbound, Outgoing, Sender
from .intake import ChannelIntake, Received
from .settings import SMSSettings

log = logging.getLogger(__name__)

# 40,000 characters as JSON \uXXXX escapes, with room for the other fields.
MAX_WEBHOOK_BYTES = 512 * 1024
# A long text arrives joined from up to 255 parts of 153 characters.
MAX_TEXT = 40_000
MAX_ID = 200
RECEIPT_STATES = ("delivered", "failed")


class WebhookRefused(Refusal):
    """A webhook we do not take; ``status`` is the HTTP answer (401 unsigned, 422 invalid, 404 unknown)."""

    def __init__(self, template: str, *, status: int, code: str, field: str | None = None) -> None:
        super().__init__(template, code=code, field=field)
        self.status = status


def sign(secret: str, body: bytes) -> str:
    """The ``X-Signature`` value of ``body``, as the gateway computes it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _invalid(template: str, field: str) -> WebhookRefused:
    return WebhookRefused(template, status=422, code="invalid", field=field)


def _text_field(data: dict[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise _invalid(N_("A field is missing, not text or too long."), name)
    return value.replace("\x00", "")


class SMSInbox:
    """The gateway's two webhooks: an inbound text, and a receipt for one of our replies."""

    def __init__(self, settings: SMSSettings, intake: ChannelIntake, notifier: ConversationNotifier,
                 region: str) -> None:
        self.settings, self.intake, self.notifier, self.region = settings, intake, notifier, region
        self.actor = Actor.system("channel:sms")

    def _verified(self, body: bytes, header: str) -> dict[str, Any]:
        """The webhook's JSON object, once its signature is checked (in constant time)."""
        if len(body) > MAX_WEBHOOK_BYTES:
            raise WebhookRefused(N_("The SMS webhook is too large."), status=413, code="too_large")
        secret = self.settings.inbound_secret.get_secret_value()
        if not secret or not hmac.compare_digest(sign(secret, body).encode(), header.strip().encode()):
            raise WebhookRefused(N_("The SMS webhook's signature does not match."), status=401,
                                 code="bad_signature")
        try:
            data = json.loads(body)
        except ValueError:
            raise WebhookRefused(N_("The SMS webhook is not JSON."), status=400, code="malformed") from None
        if not isinstance(data, dict):
            raise WebhookRefused(N_("The SMS webhook is not a JSON object."), status=400, code="malformed")
        return data

    def receive(self, session: Session, body: bytes, header: str) -> Received:
        """Store one signed inbound text (a re-sent id is the stored one)."""
        data = self._verified(body, header)
        key = _text_field(data, "id", MAX_ID)
        raw_from = _text_field(data, "from", 40)
        number = try_e164(raw_from, self.region)
        if number is None:
            raise _invalid(N_("The sender is not a phone number."), "from")
        text = _text_field(data, "text", MAX_TEXT, required=False)
        to = _text_field(data, "to", 40, required=False)
        inbound = Inbound(channel=Channel.SMS, channel_key=key.strip(), sender=Sender("phone", number), body=text,
                          recipient=to or None, received_at=_moment(data.get("received_at")),
                          meta={"gateway_from": raw_from[:40]})
        return self.intake.receive(session, inbound)

    def receipt(self, session: Session, body: bytes, header: str) -> Message:
        """A delivery receipt: our reply reached the phone, or it did not (then it fails for a person to see)."""
        data = self._verified(body, header)
        key = _text_field(data, "id", MAX_ID).strip()
        status = data.get("status")
        if status not in RECEIPT_STATES:
            raise _invalid(N_("The receipt's status is neither delivered nor failed."), "status")
        error = _text_field(data, "error", 500, required=False)
        message = session.scalar(select(Message).where(
            Message.channel == Channel.SMS, Message.channel_key == key,
            Message.direction == MessageDirection.OUTBOUND).with_for_update())
        if message is None:
            raise WebhookRefused(N_("No reply of ours has this id."), status=404, code="not_found", field="id")
        if message.meta.get("receipt") == status:
            return message  # the gateway sent the same receipt again
        message.meta = {**message.meta, "receipt": status, "receipt_at": dt.datetime.now(dt.UTC).isoformat()}
        ticket = session.get(Ticket, message.ticket_id)
        assert ticket is not None  # a message's ticket is deleted with it
        if status == "delivered":
            message.delivery_state, message.error = DeliveryState.SENT, None
            audit.record(session, "message_delivered", self.actor, object_type="ticket", object_id=ticket.number,
                         message_id=message.id, channel="sms")
            return message
        message.delivery_state = DeliveryState.FAILED
        message.error = f"the gateway could not deliver it: {error or 'no reason given'}"[:2000]
        audit.record(session, "message_failed", self.actor, object_type="ticket", object_id=ticket.number,
                     message_id=message.id, channel="sms", error=message.error[:500])
        self.notifier.failed(session, ticket, message, self.actor)
        return message


def _moment(value: Any) -> dt.datetime | None:
    """``received_at`` as an aware moment; absent is now (the intake's default), naive is refused."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _invalid(N_("received_at is not an ISO 8601 moment with its time zone."), "received_at")
    return moment.astimezone(dt.UTC)


class SMSAdapter:
    """Posts a reply to the gateway's send URL; only to numbers the dialling policy allows."""

    channel = Channel.SMS

    def __init__(self, settings: SMSSettings, policy: DiallingPolicy, region: str,
                 client: httpx.Client | None = None) -> None:
        self.settings, self.policy, self.region = settings, policy, region
        self.client = client or httpx.Client(timeout=settings.timeout)

    def send(self, outgoing: Outgoing) -> str | None:
        number = try_e164(outgoing.to, self.region)
        if number is None:
            raise DeliveryError("not a phone number", permanent=True)
        refusal = self.policy.check(number)
        if refusal is not None:
            raise DeliveryError(f"the dialling policy refuses {number}: {refusal.message}", permanent=True)
        payload = {"to": number, "from": self.settings.sender, "text": outgoing.message.body,
                   "reference": str(outgoing.message.id)}
        headers = {"Authorization": f"Bearer {self.settings.send_token.get_secret_value()}"}
        try:
            resp = self.client.post(self.settings.send_url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS gateway unreachable ({type(exc).__name__})") from None
        if not resp.is_success:
            permanent = 400 <= resp.status_code < 500 and resp.status_code != 429
            raise DeliveryError(f"SMS gateway answered HTTP {resp.status_code}: {resp.text[:200]}",
                                permanent=permanent)
        try:
            data = resp.json()
        except ValueError:
            data = None
        key = data.get("id") if isinstance(data, dict) else None
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_ID:
            log.warning("sms: the gateway took message %s but gave no id: receipts cannot find it",
                        outgoing.message.id)
            return None
        return key.strip()
