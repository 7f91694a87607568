"""What the ticket page's reply form offers: each channel with the customer's address on it, the default
channel, the active templates, and what the agent typed when a reply was refused (shown again, not lost)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, g
from sqlalchemy.orm import Session

from callcenter.conversations import replies
from callcenter.conversations.service import REPLY_CHANNELS
from callcenter.models import Channel, Customer, ReplyTemplate, Ticket


@dataclass(frozen=True)
class ReplyForm:
    channels: list[tuple[Channel, str | None]]
    channel: Channel
    templates: list[ReplyTemplate]
    typed: dict[str, str] = field(default_factory=dict)

    @property
    def recipient(self) -> str | None:
        return dict(self.channels).get(self.channel)


def reply_form(db: Session, ticket: Ticket, customer: Customer | None) -> ReplyForm:
    addresses = replies.recipients(customer)
    typed: dict[str, str] = dict(g.get("reply_typed") or {})
    chosen = next((c for c in REPLY_CHANNELS if c.value == typed.get("channel")), None)
    return ReplyForm([(c, addresses.get(c)) for c in REPLY_CHANNELS],
                     chosen or replies.default_channel(db, ticket, customer),
                     current_app.extensions["container"].templates.listing(db, active_only=True), typed)
