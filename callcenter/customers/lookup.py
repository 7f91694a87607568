"""Finding customers again: by number in any format the caller gave, by name, by e-mail or OpenID, or by id."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from ..calls.numbers import try_e164
from ..models import Customer, CustomerIdentity, CustomerPhone


@dataclass(frozen=True)
class Found:
    id: int
    name: str
    numbers: list[str]
    erased: bool

    @classmethod
    def of(cls, customer: Customer) -> Found:
        return cls(customer.id, customer.name, [p.number for p in customer.phones], customer.erased_at is not None)


def by_number(session: Session, number: str) -> Customer | None:
    """The customer an E.164 number belongs to."""
    return session.scalar(select(Customer).join(CustomerPhone).where(CustomerPhone.number == number))


def with_number(number: str) -> ColumnElement[bool]:
    return Customer.id.in_(select(CustomerPhone.customer_id).where(CustomerPhone.number == number))


def search(session: Session, text: str, region: str, limit: int = 20) -> list[Found]:
    """Customers by id, name (part of it), phone number (any format), e-mail address or WeChat OpenID."""
    text = text.strip()[:200]
    if not text:
        return []
    conditions: list[ColumnElement[bool]] = [Customer.name.ilike(f"%{text.replace('%', '').replace('_', ' ')}%")]
    if text.isdigit():
        conditions.append(Customer.id == int(text[:12]))
    number = try_e164(text, region) if any(ch.isdigit() for ch in text) else None
    if number:
        conditions.append(with_number(number))
    # E-mail addresses are stored lower-cased, OpenIDs as WeChat wrote them.
    conditions.append(Customer.id.in_(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.value.in_({text, text.lower()}))))
    rows = session.scalars(select(Customer).where(or_(*conditions)).order_by(Customer.id).limit(limit))
    return [Found.of(c) for c in rows]


def get(session: Session, customer_id: int) -> Found | None:
    customer = session.get(Customer, customer_id)
    return None if customer is None else Found.of(customer)
