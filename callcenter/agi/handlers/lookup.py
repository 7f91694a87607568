"""lookup: who is calling?  Caller ID -> E.164 -> customer; language, VIP
tier, queue priority and open-ticket count go onto the channel.

The queue priority is the higher of the VIP tier's and the customer's
segments' (tags an agent, a rule or the CRM set); it is kept in the call's
record (``ivr.queue_priority``, ``ivr.segments``) so a supervisor sees why a
caller went ahead.

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
from ...customers.segments import NOBODY
from ...models import OPEN_STATUSES, Customer, CustomerPhone, Ticket, VipTier
from ...pbx.values import inert
from ...queues import routing
from .. import variables as var
from ..request import Request
from . import menu


def handle(req: Request) -> None:
    raw_number = req.agi.read(var.CALLER_NUMBER, 80)
    raw_name = req.agi.read(var.CALLER_NAME, 80)
    did = req.agi.read(var.DID, 40)
    number = try_e164(raw_number, req.settings.phone.default_region)
    with req.reading():
        customer = find_customer(req.db, number)
        direct = routing.by_did(req.db, did)
        member = req.segments.of_customer(req.db, customer.id) if customer and req.segments else NOBODY
    open_tickets = customer.open_tickets if customer else 0
    customer_id = customer.id if customer else None
    # The customer's language, else the language of the queue their number dialled.
    language = _language(req, customer.language if customer else (direct.language if direct else None))
    tier = VipTier(customer.vip_tier) if customer else VipTier.NONE
    priority = max(int(req.ivr.vip_priority.get(tier.value, 0)), member.queue_priority)
    req.later.append(functools.partial(store_call, pbx=req.pbx, linkedid=req.linkedid, raw_number=raw_number,
                                       raw_name=raw_name, did=did, number=number, customer_id=customer_id,
                                       language=language, ivr={"queue_priority": priority,
                                                               "segments": member.names}))
    req.agi.set(var.CUSTOMER_ID, customer_id or "")
    req.agi.set(var.VIP, tier.value)
    req.agi.set(var.QUEUE_PRIO, priority)
    req.agi.set(var.OPEN_TICKETS, open_tickets)
    req.agi.set(var.LANG, language)
    req.agi.set(var.CHANNEL_LANGUAGE, language)
    if direct is not None:
        route_direct(req, direct)


def route_direct(req: Request, direct: routing.Direct) -> None:
    """A queue's own number: straight to that queue, past the menu (the dialplan skips it on this path)."""
    option = next((o for o in req.ivr.menu.values() if o.path == "queue" and o.queue == direct.name), None)
    category = option.category if option else "general"
    skill = direct.skill or (option.skill if option else "")
    req.agi.set(var.IVR_PATH, "queue")
    req.agi.set(var.QUEUE, direct.name)
    req.agi.set(var.CATEGORY, category)
    req.agi.set(var.SKILL, skill)
    choice = {"path": "queue", "queue": direct.name, "category": category, "skill": skill, "direct": True}
    req.later.append(functools.partial(menu.store_choice, pbx=req.pbx, linkedid=req.linkedid, choice=choice,
                                       queue=direct.name))


def store_call(db: Session, *, pbx: str, linkedid: str, raw_number: str, raw_name: str, did: str,
               number: str | None, customer_id: int | None, language: str,
               ivr: dict[str, Any] | None = None) -> None:
    """The call's row with what lookup learnt; the menu or the AMI bridge may
    have created it already, so fill what they left empty."""
    fill = {"caller_number": number, "caller_raw": inert(raw_number, 80),
            "caller_name": inert(raw_name, 80), "did": inert(did, 40), "customer_id": customer_id}
    overwrite: dict[str, object] = {"language": language}
    if customer_id is not None:
        overwrite["customer_id"] = fill.pop("customer_id")
    merge_call(db, pbx, linkedid, fill=fill, overwrite=overwrite, ivr=ivr)


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


def _language(req: Request, preferred: str | None) -> str:
    lang = (preferred or "").lower()
    return lang if lang in req.ivr.languages else req.ivr.languages[0]
