"""Failed sign-ins, kept in the database so every web process counts the same attempts."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str80, utcnow


class SignInFailure(Base):
    """One wrong password (or unknown user) from one address; rows older than the window are pruned."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_address_at", "address", "at"),
        Index("ix_sign_in_failures_at", "at"),
    )

    id: Mapped[intpk]
    # An IPv6 address with a zone fits in 64 characters.
    address: Mapped[str] = mapped_column(String(64))
    # As typed (lowercased, at most 80 characters): unknown names are counted too.
    username: Mapped[str80]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
