"""Callers we know: a customer with one or more E.164 phone numbers."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, created_at, e164, intpk, str20, str200, str_enum, updated_at


class VipTier(str, enum.Enum):
    NONE = "none"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[intpk]
    name: Mapped[str200] = mapped_column(default="")
    company: Mapped[Optional[str200]]
    email: Mapped[Optional[str200]]
    # IVR prompts and transcription model follow this (e.g. "en", "zh").
    language: Mapped[str20] = mapped_column(default="en")
    vip_tier: Mapped[VipTier] = mapped_column(str_enum(VipTier), default=VipTier.NONE)
    notes: Mapped[str] = mapped_column(Text, default="")
    external_ref: Mapped[Optional[str200]] = mapped_column(unique=True)
    # Set by erasure on request: personal fields are gone, statistics stay.
    erased_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerIdentity.id"
    )


class CustomerPhone(Base):
    __tablename__ = "customer_phones"

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # Always normalised E.164 ("+8613800138000"); unique so lookup is one row.
    number: Mapped[e164] = mapped_column(unique=True)
    label: Mapped[str20] = mapped_column(default="mobile")
    created_at: Mapped[created_at]

    customer: Mapped[Customer] = relationship(back_populates="phones")


class IdentityKind(str, enum.Enum):
    """How a channel names a customer besides a phone number (phones stay in ``customer_phones``)."""

    EMAIL = "email"
    WECHAT = "wechat"  # an Official Account's OpenID for this follower


class CustomerIdentity(Base):
    """An e-mail address or a WeChat OpenID that belongs to one customer.

    ``(kind, value)`` is unique, so a second message from the same address finds the same
    customer.  ``verified`` says the customer proved it (an agent checked it, or the channel
    vouches for it, as WeChat does for an OpenID); only a verified identity links a new contact
    to an existing customer on a match of anything else.  ``bounced_at`` marks an address mail
    can no longer reach.
    """

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdentityKind] = mapped_column(str_enum(IdentityKind))
    # Normalised: an e-mail address lower-cased, an OpenID as WeChat gives it.
    value: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(default=False)
    bounced_at: Mapped[Optional[dt.datetime]]
    bounce_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[created_at]

    customer: Mapped[Customer] = relationship(back_populates="identities")
