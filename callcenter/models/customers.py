"""Callers we know: a customer with one or more E.164 phone numbers."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import ForeignKey, Text
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


class CustomerPhone(Base):
    __tablename__ = "customer_phones"

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # Always normalised E.164 ("+8613800138000"); unique so lookup is one row.
    number: Mapped[e164] = mapped_column(unique=True)
    label: Mapped[str20] = mapped_column(default="mobile")
    created_at: Mapped[created_at]

    customer: Mapped[Customer] = relationship(back_populates="phones")
