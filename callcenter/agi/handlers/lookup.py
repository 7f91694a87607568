"""lookup: who is calling?  Caller ID -> E.164 -> customer; language, VIP
tier, queue priority and open-ticket count go onto the channel.

Only reads happen while the caller waits; the call's row (with the
untrusted caller ID stored inert) is written once the AGI has returned.
``ensure_call`` makes it harmless that the AMI bridge or the menu may have
created the row first.
"""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from ...calls.numbers import try_e164
from ...calls.records import merge_call
from ...models import OPEN_STATUSES, Customer, CustomerPhone, Ticket, VipTier
from ...pbx.values import inert
from .. import variables as var
from ..request import Request


def handle(req: Request) -> None:
    raw_number = req.agi.read(var.CALLER_NUMBER, 80)
    raw_name = req.agi.read(var.CALLER_NAME, 80)
    did = req.agi.read(var.DID, 40)
    number = try_e164(raw_number, req.settings.phone.default_region)
    with req.reading():
        customer = find_customer(req.db, number)
    open_tickets = customer.open_tickets if customer else 0
    customer_id = customer.id if customer else None
    language = _language(req, customer.language if customer else "")
    tier = VipTier(customer.vip_tier) if customer else VipTier.NONE
    req.later.append(functools.partial(store_call, pbx=req.pbx, linkedid=req.linkedid, raw_number=raw_number,
                                       raw_name=raw_name, did=did, number=number, customer_id=customer_id,
                                       language=language))
    req.agi.set(var.CUSTOMER_ID, customer_id or "")
    req.agi.set(var.VIP, tier.value)
    req.agi.set(var.QUEUE_PRIO, req.ivr.vip_priority.get(tier.value, 0))
    req.agi.set(var.OPEN_TICKETS, open_tickets)
    req.agi.set(var.LANG, language)
    req.agi.set(var.CHANNEL_LANGUAGE, language)


def store_call(db: Session, *, pbx: str, linkedid: str, raw_number: str, raw_name: str, did: str,
               number: str | None, customer_id: int | None, language: str) -> None:
    """The call's row with what lookup learnt; the menu or the AMI bridge may
    have created it already, so fill what they left empty."""
    fill = {"caller_number": number, "caller_raw": inert(raw_number, 80),
            "caller_name": inert(raw_name, 80), "did": inert(did, 40), "customer_id": customer_id}
    overwrite: dict[str, object] = {"language": language}
    if customer_id is not None:
        overwrite["customer_id"] = fill.pop("customer_id")
    merge_call(db, pbx, linkedid, fill=fill, overwrite=overwrite)


def find_customer(db: Session, number: str | None) -> Row[Any] | None:
    """(id, language, vip_tier, open_tickets) of the customer owning this
    E.164 number, in one statement: the caller is waiting."""
    if number is None:
        return None
    open_tickets = (
        select(func.count()).select_from(Ticket)
        .where(Ticket.customer_id == Customer.id, Ticket.status.in_(OPEN_STATUSES))
        .scalar_subquery()
    )
    return db.execute(
        select(Customer.id, Customer.language, Customer.vip_tier, open_tickets.label("open_tickets"))
        .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(CustomerPhone.number == number, Customer.erased_at.is_(None))
    ).first()


def _language(req: Request, preferred: str) -> str:
    lang = (preferred or "").lower()
    return lang if lang in req.ivr.languages else req.ivr.languages[0]
