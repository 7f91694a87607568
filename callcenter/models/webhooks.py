"""Outbound webhooks: the endpoints an admin set up, and every delivery owed to them (the outbox and its log).

A delivery row is written in the same transaction as the change it reports,
so a committed change always has its deliveries; the sender works through
them and writes each attempt beside it.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, intpk, str40, str80, str200, str_enum, updated_at


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[intpk]
    name: Mapped[str80] = mapped_column(unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Event names from the catalogue (callcenter/events/); none: no deliveries.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "whsec_" and base64 (Standard Webhooks): shown whole to admins, never logged.
    secret: Mapped[str200]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when a delivery ran out of retries; cleared by the next success.
    failing_since: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"  # owed: the sender posts it when due (and when the ticket's earlier ones are through)
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # out of retries ([webhooks] give_up_hours); a replay makes it pending again


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "message_id"),
        # The owed ones in order: a claim reads the first few, however long the backlog.
        Index("ix_webhook_deliveries_owed", "status", "id"),
        Index("ix_webhook_deliveries_order", "endpoint_id", "order_key", "status"),
        Index("ix_webhook_deliveries_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    # The Standard Webhooks message id (webhook-id): one per event, the same on every retry and replay.
    message_id: Mapped[str80]
    event: Mapped[str80]
    # Deliveries with one key go in order ("ticket:42"); empty: no order with others.
    order_key: Mapped[str40] = mapped_column(default="")
    # The body exactly as posted (UTF-8 JSON), so every attempt signs and sends the same bytes.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    # A sender's claim: others leave it until then (a sender killed mid-post frees it when this passes).
    lease_until: Mapped[Optional[dt.datetime]]
    last_status: Mapped[Optional[int]]
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    delivered_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]


class WebhookAttempt(Base):
    """One post of a delivery, for the log: what the receiver answered (cut short), or why it could not."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[created_at]
    status_code: Mapped[Optional[int]]
    response: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[Optional[str]] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    # Who made it post again (a replay), if anyone.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
