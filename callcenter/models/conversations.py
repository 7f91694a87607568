"""A ticket's conversation: every message in and out, on every channel, with its attachments.

A message is stored once per channel id (an e-mail's Message-ID, a WeChat
MsgId, an SMS id): ``(channel, channel_key)`` is unique, so a channel that
delivers the same message twice still makes one row.  Internal notes stay
in ``ticket_notes``; calls, recordings and transcripts in their own tables:
the timeline merges them all.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, created_at, intpk, str20, str_enum, updated_at, utcnow

# Long enough for any real Message-ID (RFC 5322 sets no limit; mail systems keep them under 250).
CHANNEL_KEY_LENGTH = 400


class Channel(str, enum.Enum):
    PHONE = "phone"  # texts a phone channel carries: voicemail, a call's written summary
    EMAIL = "email"
    WEB = "web"
    WECHAT = "wechat"
    SMS = "sms"


class MessageDirection(str, enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Visibility(str, enum.Enum):
    # Part of the conversation with the customer.
    PUBLIC = "public"
    # Kept among colleagues: never sent, never shown to the customer.
    INTERNAL = "internal"


class DeliveryState(str, enum.Enum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "channel_key"),
        Index("ix_messages_ticket_created", "ticket_id", "created_at"),
        Index("ix_messages_delivery_state", "delivery_state"),
    )

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    direction: Mapped[MessageDirection] = mapped_column(str_enum(MessageDirection))
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.PUBLIC)
    # The channel's own id; an outbound message gets it when its channel has one (null until then).
    channel_key: Mapped[Optional[str]] = mapped_column(String(CHANNEL_KEY_LENGTH))
    sender: Mapped[Optional[str]] = mapped_column(String(320))
    recipient: Mapped[Optional[str]] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Who wrote it, for outbound messages; null for what a customer sent.
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the channel delivered it to us (inbound); its place in the timeline.
    received_at: Mapped[Optional[dt.datetime]]
    # Outbound only: queued until the channel's sender sends it.
    delivery_state: Mapped[Optional[DeliveryState]] = mapped_column(str_enum(DeliveryState))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[Optional[str]] = mapped_column(Text)
    sent_at: Mapped[Optional[dt.datetime]]
    # What the channel said beside the text: an e-mail's References and Auto-Submitted, a WeChat
    # MsgType and OpenID, why it was not answered ("loop", "auto_reply") ...
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Outbound: not before this moment (the next retry after a failed attempt).
    next_attempt_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    @property
    def at(self) -> dt.datetime:
        """Its moment in the timeline: when it reached us, or when it was written here."""
        return self.received_at or self.created_at


class Attachment(Base):
    """A file that came with a message, kept on disk under its id (never under a name from outside)."""

    __tablename__ = "message_attachments"

    id: Mapped[intpk]
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127), default="application/octet-stream")
    size_bytes: Mapped[int] = mapped_column(BigInteger)  # a refused file may be over 2 GB
    sha256: Mapped[str] = mapped_column(String(64))
    # Why the file was not kept ("too_large"); null when it is on disk.
    refused: Mapped[Optional[str20]]
    created_at: Mapped[created_at]

    message: Mapped[Message] = relationship(back_populates="attachments")


class TemplateKind(str, enum.Enum):
    TEMPLATE = "template"  # text only
    MACRO = "macro"  # text, and it also sets status, priority or tags


class ReplyTemplate(Base):
    """A reply written once and used many times, with a variant per channel and language.

    Variables (``{{ customer.name }}``, ``{{ ticket.number }}``, ``{{ agent.name }}``) are filled
    in when the agent picks it.  A macro also changes the ticket (status, priority, tags).
    """

    __tablename__ = "reply_templates"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[TemplateKind] = mapped_column(str_enum(TemplateKind), default=TemplateKind.TEMPLATE)
    active: Mapped[bool] = mapped_column(default=True)
    set_status: Mapped[Optional[str20]]
    set_priority: Mapped[Optional[str20]]
    add_tags: Mapped[list[str]] = mapped_column(default=list)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    variants: Mapped[list[TemplateVariant]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="TemplateVariant.id"
    )


class TemplateVariant(Base):
    """The words of a template for one channel in one language (SMS short, e-mail with HTML)."""

    __tablename__ = "reply_template_variants"
    __table_args__ = (UniqueConstraint("template_id", "channel", "language"),)

    id: Mapped[intpk]
    template_id: Mapped[int] = mapped_column(ForeignKey("reply_templates.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    language: Mapped[str20] = mapped_column(default="en")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # E-mail only: the HTML part (the text part is ``body``).
    body_html: Mapped[Optional[str]] = mapped_column(Text)

    template: Mapped[ReplyTemplate] = relationship(back_populates="variants")


class ChannelAttempt(Base):
    """One contact through a public channel (the web form), from one address: the rate limit counts these.

    Kept in the database so every web process counts the same attempts; rows older than the
    window are pruned.  ``key`` is the address (an IP, or an e-mail address), never the text sent.
    """

    __tablename__ = "channel_attempts"
    __table_args__ = (Index("ix_channel_attempts_channel_key_at", "channel", "key", "at"),)

    id: Mapped[intpk]
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    key: Mapped[str] = mapped_column(String(320))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
