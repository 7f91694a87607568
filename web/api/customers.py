"""API: find customers by phone (any format), one customer, create one, sync many from a CRM, merge two."""
from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles
from callcenter.calls.numbers import InvalidNumber, to_e164
from callcenter.customers.lookup import with_number
from callcenter.customers.merge import MergeError
from callcenter.customers.service import CustomerError
from callcenter.customers.sync import Record
from callcenter.i18n import N_
from callcenter.models import Customer, VipTier

from ..db import get_db
from .registry import ApiError, api_actor, args, body, container, endpoint, page
from .schemas import CustomerIn, CustomerOut, CustomerSyncIn, CustomerSyncOut, MergeIn, MergeOut, SyncedOut


@endpoint("GET", "/customers", roles=roles.DESK, scope="customers:read",
          summary=N_("Find customers (by phone, any format)"),
          response=CustomerOut, many=True, params=("phone", "limit", "offset"))
def list_customers() -> ResponseReturnValue:
    query = select(Customer).where(Customer.erased_at.is_(None)).order_by(Customer.id)
    phone = args().text("phone", 40)
    if phone:
        try:
            number = to_e164(phone, container().settings.phone.default_region)
        except InvalidNumber:
            raise ApiError(422, "invalid", "not a phone number", {"phone": "not a phone number"}) from None
        query = query.where(with_number(number))
    return page(query, CustomerOut.of)


@endpoint("GET", "/customers/<int:customer_id>", roles=roles.DESK, scope="customers:read",
          summary=N_("One customer"), response=CustomerOut)
def get_customer(customer_id: int) -> ResponseReturnValue:
    customer = get_db().get(Customer, customer_id)
    if customer is None or customer.erased_at is not None:
        raise ApiError(404, "not_found", "no such customer")
    return jsonify(CustomerOut.of(customer).model_dump(mode="json"))


@endpoint("POST", "/customers", roles=roles.DESK, scope="customers:write",
          summary=N_("Create a customer"), request_model=CustomerIn,
          response=CustomerOut, status=201)
def create_customer() -> ResponseReturnValue:
    db = get_db()
    data = body(CustomerIn)
    try:
        customer = container().customers.create(
            db, api_actor(), name=data.name, numbers=data.phones, language=data.language, company=data.company,
            email=data.email, vip_tier=VipTier(data.vip_tier), external_ref=data.external_ref)
    except CustomerError as exc:
        db.rollback()
        raise ApiError(409 if exc.conflict else 422, "conflict" if exc.conflict else "invalid", str(exc),
                       exc.fields) from None
    db.commit()
    return jsonify(CustomerOut.of(customer).model_dump(mode="json")), 201


@endpoint("POST", "/customers/sync", roles=roles.MANAGERS, scope="customers:write",
          summary=N_("Create or update many customers and their CRM tags by their CRM id (idempotent; each record "
                     "stands alone)"),
          request_model=CustomerSyncIn, response=CustomerSyncOut)
def sync_customers() -> ResponseReturnValue:
    db = get_db()
    data = body(CustomerSyncIn)
    records = [Record(external_ref=c.external_ref, name=c.name, company=c.company, email=c.email,
                      language=c.language, vip_tier=c.vip_tier, phones=tuple(c.phones),
                      tags=tuple(c.tags) if c.tags is not None else None) for c in data.customers]
    outcomes = container().customer_sync.upsert(db, api_actor(), records)
    db.commit()
    results = [SyncedOut(external_ref=o.external_ref, outcome=o.outcome,
                         customer_id=o.customer_id, changed=o.changed, errors=o.errors) for o in outcomes]
    counts = {kind: sum(o.outcome == kind for o in outcomes) for kind in ("created", "updated", "unchanged", "refused")}
    return jsonify(CustomerSyncOut(results=results, **counts).model_dump(mode="json"))


@endpoint("POST", "/customers/<int:customer_id>/merge", roles=roles.MANAGERS, scope="customers:write",
          summary=N_("Merge another customer into this one (the other is deleted)"), request_model=MergeIn,
          response=MergeOut)
def merge_customer(customer_id: int) -> ResponseReturnValue:
    db = get_db()
    data = body(MergeIn)
    try:
        moved = container().customer_merge.merge(db, api_actor(), customer_id, data.other_id, tuple(data.take))
    except LookupError:
        db.rollback()
        raise ApiError(404, "not_found", "no such customer") from None
    except MergeError as exc:
        db.rollback()
        raise ApiError(422, exc.code or "invalid", str(exc), {exc.field or "other_id": str(exc)}) from None
    db.commit()
    customer = db.get(Customer, customer_id)
    assert customer is not None  # the merge kept it
    out = MergeOut(customer=CustomerOut.of(customer), merged_id=data.other_id,
                   moved={k: v for k, v in moved.counts.items() if v})
    return jsonify(out.model_dump(mode="json"))
