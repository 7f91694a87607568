"""Erasure of one customer on request, as the CLI and the admin page use it.

``preview`` runs the real erasure inside a transaction it rolls back (no
file touched), so what it shows is exactly what ``erase`` would remove;
``erase`` commits it with an audit row naming who asked and why.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from . import governance
from .config import Settings
from .db import transaction
from .models import Customer, CustomerPhone, User
from .phone import try_e164


@dataclass
class Found:
    id: int
    name: str
    numbers: list[str]
    erased: bool


def find(session: Session, text: str, region: str, limit: int = 20) -> list[Found]:
    """Customers by id, name (part of it) or phone number (any format the caller gave)."""
    text = text.strip()[:200]
    if not text:
        return []
    conditions = [Customer.name.ilike(f"%{text.replace('%', '').replace('_', ' ')}%")]
    if text.isdigit():
        conditions.append(Customer.id == int(text[:12]))
    number = try_e164(text, region) if any(ch.isdigit() for ch in text) else None
    if number:
        conditions.append(Customer.id.in_(select(CustomerPhone.customer_id).where(CustomerPhone.number == number)))
    rows = session.scalars(select(Customer).where(or_(*conditions)).order_by(Customer.id).limit(limit))
    return [Found(c.id, c.name, [p.number for p in c.phones], c.erased_at is not None) for c in rows]


def get(session: Session, customer_id: int) -> Found | None:
    c = session.get(Customer, customer_id)
    return None if c is None else Found(c.id, c.name, [p.number for p in c.phones], c.erased_at is not None)


def preview(factory: sessionmaker[Session], settings: Settings, customer_id: int) -> governance.Removed:
    """What erasing now would remove; raises LookupError for an unknown customer."""
    with factory() as session:
        try:
            return governance.erase_customer(session, customer_id, settings.recordings_dir(), actor=None,
                                             reason="preview", dry_run=True)
        finally:
            session.rollback()


def erase(factory: sessionmaker[Session], settings: Settings, customer_id: int, *, reason: str,
          actor_id: int | None = None, actor_name: str | None = None) -> governance.Removed:
    with transaction(factory) as session:
        actor = session.get(User, actor_id) if actor_id is not None else None
        return governance.erase_customer(session, customer_id, settings.recordings_dir(), actor=actor,
                                         actor_name=actor_name, reason=reason)
