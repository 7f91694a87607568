"""What a channel's sender reads and writes: public replies waiting to go, and how each attempt went.

``outbound_pending`` is the only query a sender should read from: it returns
public outbound messages and nothing else, so an internal note (kept in
``ticket_notes``) or an internal message can never reach a customer.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Channel, DeliveryState, Message, MessageDirection, Visibility, utcnow


def outbound_pending(session: Session, channel: Channel | None = None, limit: int = 100) -> list[Message]:
    """Public replies still queued, oldest first (of one channel, if given)."""
    query = select(Message).where(Message.direction == MessageDirection.OUTBOUND,
                                  Message.visibility == Visibility.PUBLIC,
                                  Message.delivery_state == DeliveryState.QUEUED)
    if channel is not None:
        query = query.where(Message.channel == channel)
    return list(session.scalars(query.order_by(Message.created_at, Message.id).limit(limit)))


def sent(message: Message, channel_key: str | None = None) -> None:
    """The channel took it; ``channel_key`` is the id it gave the message, if it gives one."""
    message.attempts += 1
    message.delivery_state, message.sent_at, message.error = DeliveryState.SENT, utcnow(), None
    if channel_key:
        message.channel_key = channel_key


def attempt_failed(message: Message, error: str, *, give_up: bool) -> None:
    """One attempt failed: queued again for the next, or failed for good (the error is kept either way)."""
    message.attempts += 1
    message.error = error[:2000]
    message.delivery_state = DeliveryState.FAILED if give_up else DeliveryState.QUEUED
