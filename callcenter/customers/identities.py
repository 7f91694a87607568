"""A customer's identifiers on every channel: phones (E.164), e-mail addresses, WeChat OpenIDs.

Each identifier belongs to one customer (unique per kind), so the next
contact from it, on any channel, finds the same person.  Values are stored
normalised: that is what makes ``Alice@Example.COM`` and ``alice@example.com``
one address.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..calls.numbers import try_e164
from ..models import Customer, CustomerIdentity, CustomerPhone, IdentityKind

PHONE = "phone"
KINDS = (PHONE, IdentityKind.EMAIL.value, IdentityKind.WECHAT.value)
# Deliberately plain: one @, no spaces or controls, a dot in the domain; the mail server is the judge.
EMAIL = re.compile(r"^[^@\s\x00-\x1f\"<>(),;:\\\[\]]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z0-9-]{2,63}$")
OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


def normalise(kind: str, value: str, region: str) -> str | None:
    """The stored form of an identifier, or None when it is not one (never raises on bad input)."""
    value = (value or "").strip()
    if kind == PHONE:
        return try_e164(value, region)
    if kind == IdentityKind.EMAIL.value:
        value = value.lower()
        return value if len(value) <= 320 and EMAIL.match(value) else None
    if kind == IdentityKind.WECHAT.value:
        return value if OPENID.match(value) else None
    return None


def find(session: Session, kind: str, value: str) -> Customer | None:
    """The customer a normalised identifier belongs to."""
    if kind == PHONE:
        return session.scalar(select(Customer).join(CustomerPhone).where(CustomerPhone.number == value))
    return session.scalar(select(Customer).join(CustomerIdentity).where(
        CustomerIdentity.kind == IdentityKind(kind), CustomerIdentity.value == value))


def identity(session: Session, kind: IdentityKind, value: str) -> CustomerIdentity | None:
    return session.scalar(select(CustomerIdentity).where(CustomerIdentity.kind == kind,
                                                         CustomerIdentity.value == value))


def addresses(customer: Customer, kind: IdentityKind) -> list[str]:
    """The customer's identifiers of one kind, a bounced address last."""
    rows = [i for i in customer.identities if i.kind == kind]
    return [i.value for i in sorted(rows, key=lambda i: (i.bounced_at is not None, i.id))]
