"""REST API v1: calls, tickets, customers, callbacks and surveys for CRMs."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, jsonify, request
from sqlalchemy import func, select

from callcenter import audit, tickets, visibility
from callcenter.models import (
    Call, Callback, CallbackSource, Customer, CustomerPhone, Priority, Role, Survey, Ticket,
    TicketStatus, VipTier,
)
from callcenter.phone import InvalidNumber, to_e164

from ..db import get_db
from . import bp
from .registry import ApiError, body, endpoint, openapi_document
from .schemas import (
    CallbackIn, CallbackOut, CallOut, CustomerIn, CustomerOut, SurveyOut, TicketIn, TicketOut, TicketPatch,
)

ALL = (Role.AGENT, Role.SUPERVISOR, Role.QA, Role.ADMIN)
WRITERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)


def _page(query: Any, dump: Any) -> Any:
    db = get_db()
    limit = min(max(request.args.get("limit", 50, type=int) or 50, 1), 500)
    offset = max(request.args.get("offset", 0, type=int) or 0, 0)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = [dump(row) for row in db.scalars(query.limit(limit).offset(offset))]
    return jsonify(items=items, total=total, limit=limit, offset=offset)


def _refused(kind: str, ident: object) -> None:
    """Someone asked for a record outside their scope: answer 404, but remember it."""
    db = get_db()
    audit.record(db, "access_denied", actor=g.api_user, object_type=kind, object_id=ident,
                 ip=request.remote_addr, outcome="denied", via="api")
    db.commit()


def _region() -> str:
    from flask import current_app

    return current_app.extensions["container"].settings.phone.default_region


def call_out(c: Call) -> dict[str, Any]:
    return CallOut(id=c.id, pbx=c.pbx, linkedid=c.linkedid, direction=c.direction.value, status=c.status.value,
                   caller_number=c.caller_number, caller_name=c.caller_name, did=c.did, queue=c.queue_name,
                   agent_id=c.agent_id, customer_id=c.customer_id, ticket_id=c.ticket_id, ivr=c.ivr or {},
                   started_at=c.started_at, answered_at=c.answered_at, ended_at=c.ended_at,
                   wait_seconds=c.wait_seconds, talk_seconds=c.talk_seconds,
                   disposition=c.disposition.value if c.disposition else None, hangup_cause=c.hangup_cause,
                   recording_ids=[r.id for r in c.recordings if r.purged_at is None]).model_dump(mode="json")


def ticket_out(t: Ticket) -> dict[str, Any]:
    return TicketOut(id=t.id, number=t.number or "", subject=t.subject, description=t.description,
                     category=t.category, priority=t.priority.value, status=t.status.value,
                     customer_id=t.customer_id, origin_call_id=t.origin_call_id, assignee_id=t.assignee_id,
                     queue_id=t.queue_id, first_response_due_at=t.first_response_due_at,
                     resolution_due_at=t.resolution_due_at, created_at=t.created_at,
                     updated_at=t.updated_at).model_dump(mode="json")


def customer_out(c: Customer) -> dict[str, Any]:
    return CustomerOut(id=c.id, name=c.name, company=c.company, email=c.email, language=c.language,
                       vip_tier=c.vip_tier.value, phones=[p.number for p in c.phones],
                       external_ref=c.external_ref).model_dump(mode="json")


@bp.route("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    return jsonify(openapi_document())


@endpoint("GET", "/calls", roles=ALL, summary="List calls you may see", response=CallOut, many=True,
          params=("disposition", "limit", "offset"))
def list_calls():  # type: ignore[no-untyped-def]
    query = select(Call).where(visibility.call_clause(g.api_user)).order_by(Call.started_at.desc())
    if request.args.get("disposition"):
        query = query.where(Call.disposition == request.args["disposition"][:20])
    return _page(query, call_out)


@endpoint("GET", "/calls/<int:call_id>", roles=ALL, summary="One call", response=CallOut)
def get_call(call_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    if not visibility.can_see_call(db, g.api_user, call_id):
        _refused("call", call_id)
        raise ApiError(404, "not_found", "no such call")
    return jsonify(call_out(db.get(Call, call_id)))


@endpoint("GET", "/tickets", roles=ALL, summary="List tickets you may see", response=TicketOut, many=True,
          params=("status", "limit", "offset"))
def list_tickets():  # type: ignore[no-untyped-def]
    query = select(Ticket).where(visibility.ticket_clause(g.api_user)).order_by(Ticket.created_at.desc())
    if request.args.get("status") in {s.value for s in TicketStatus}:
        query = query.where(Ticket.status == TicketStatus(request.args["status"]))
    return _page(query, ticket_out)


def _ticket(number: str) -> Ticket:
    db = get_db()
    ticket = db.scalar(select(Ticket).where(Ticket.number == number)) if number.isdigit() else None
    if ticket is None or not visibility.can_see_ticket(db, g.api_user, ticket.id):
        if ticket is not None:
            _refused("ticket", number)
        raise ApiError(404, "not_found", "no such ticket")
    return ticket


@endpoint("GET", "/tickets/<number>", roles=ALL, summary="One ticket by number", response=TicketOut)
def get_ticket(number: str):  # type: ignore[no-untyped-def]
    return jsonify(ticket_out(_ticket(number)))


@endpoint("POST", "/tickets", roles=WRITERS, summary="Create a ticket", request_model=TicketIn,
          response=TicketOut, status=201)
def create_ticket():  # type: ignore[no-untyped-def]
    db = get_db()
    data: TicketIn = body(TicketIn)
    call = None
    if data.call_id is not None:
        if not visibility.can_see_call(db, g.api_user, data.call_id):
            raise ApiError(422, "invalid", "unknown call", {"call_id": "no such call"})
        call = db.get(Call, data.call_id)
        if call.ticket_id is not None:
            raise ApiError(409, "conflict", "this call already has a ticket",
                           {"call_id": f"ticket id {call.ticket_id}"})
    if data.customer_id is not None and db.get(Customer, data.customer_id) is None:
        raise ApiError(422, "invalid", "unknown customer", {"customer_id": "no such customer"})
    ticket = tickets.create(db, actor=g.api_user, call=call, subject=data.subject, source="api",
                            description=data.description, category=data.category,
                            priority=Priority(data.priority), customer_id=data.customer_id, reason="api")
    audit.record(db, "ticket_created", actor=g.api_user, object_type="ticket", object_id=ticket.number,
                 ip=request.remote_addr, via="api")
    db.commit()
    return jsonify(ticket_out(ticket)), 201


@endpoint("PATCH", "/tickets/<number>", roles=WRITERS, summary="Change status or priority, add a note",
          request_model=TicketPatch, response=TicketOut)
def patch_ticket(number: str):  # type: ignore[no-untyped-def]
    db = get_db()
    ticket = _ticket(number)
    data: TicketPatch = body(TicketPatch)
    values = {k: v for k, v in (("status", data.status), ("priority", data.priority)) if v is not None}
    changed = tickets.change(db, ticket, actor=g.api_user, reason=data.reason or "api", **values)
    if data.note:
        tickets.add_note(db, ticket, data.note, author=g.api_user)
    audit.record(db, "ticket_changed", actor=g.api_user, object_type="ticket", object_id=number,
                 ip=request.remote_addr, via="api", fields=[c.field for c in changed])
    db.commit()
    return jsonify(ticket_out(ticket))


@endpoint("GET", "/customers", roles=WRITERS, summary="Find customers (by phone, any format)",
          response=CustomerOut, many=True, params=("phone", "limit", "offset"))
def list_customers():  # type: ignore[no-untyped-def]
    query = select(Customer).where(Customer.erased_at.is_(None)).order_by(Customer.id)
    if request.args.get("phone"):
        try:
            number = to_e164(request.args["phone"], _region())
        except InvalidNumber:
            raise ApiError(422, "invalid", "not a phone number", {"phone": "not a phone number"}) from None
        query = query.where(Customer.id.in_(select(CustomerPhone.customer_id).where(CustomerPhone.number == number)))
    return _page(query, customer_out)


@endpoint("GET", "/customers/<int:customer_id>", roles=WRITERS, summary="One customer", response=CustomerOut)
def get_customer(customer_id: int):  # type: ignore[no-untyped-def]
    customer = get_db().get(Customer, customer_id)
    if customer is None or customer.erased_at is not None:
        raise ApiError(404, "not_found", "no such customer")
    return jsonify(customer_out(customer))


@endpoint("POST", "/customers", roles=WRITERS, summary="Create a customer", request_model=CustomerIn,
          response=CustomerOut, status=201)
def create_customer():  # type: ignore[no-untyped-def]
    db = get_db()
    data: CustomerIn = body(CustomerIn)
    numbers = []
    for i, raw in enumerate(data.phones):
        try:
            numbers.append(to_e164(raw, _region()))
        except InvalidNumber:
            raise ApiError(422, "invalid", "not a phone number", {f"phones.{i}": "not a phone number"}) from None
    taken = db.scalar(select(CustomerPhone.number).where(CustomerPhone.number.in_(numbers)))
    if taken:
        raise ApiError(409, "conflict", "a phone number already belongs to a customer", {"phones": taken})
    customer = Customer(name=data.name, company=data.company, email=data.email, language=data.language,
                        vip_tier=VipTier(data.vip_tier), external_ref=data.external_ref,
                        phones=[CustomerPhone(number=n) for n in dict.fromkeys(numbers)])
    db.add(customer)
    db.flush()
    audit.record(db, "customer_created", actor=g.api_user, object_type="customer", object_id=customer.id,
                 ip=request.remote_addr, via="api")
    db.commit()
    return jsonify(customer_out(customer)), 201


@endpoint("GET", "/callbacks", roles=WRITERS, summary="List callbacks", response=CallbackOut, many=True,
          params=("status", "limit", "offset"))
def list_callbacks():  # type: ignore[no-untyped-def]
    query = select(Callback).order_by(Callback.due_at)
    if request.args.get("status"):
        query = query.where(Callback.status == request.args["status"][:20])
    return _page(query, lambda c: CallbackOut(
        id=c.id, number=c.number, source=c.source.value, status=c.status.value, due_at=c.due_at,
        attempts=c.attempts, call_id=c.call_id, ticket_id=c.ticket_id,
        customer_id=c.customer_id).model_dump(mode="json"))


@endpoint("POST", "/callbacks", roles=WRITERS, summary="Promise a callback", request_model=CallbackIn,
          response=CallbackOut, status=201)
def create_callback():  # type: ignore[no-untyped-def]
    db = get_db()
    data: CallbackIn = body(CallbackIn)
    if data.due_at.tzinfo is None:
        raise ApiError(422, "invalid", "due_at needs a time zone", {"due_at": "use ISO 8601 with an offset"})
    try:
        number = to_e164(data.number, _region())
    except InvalidNumber:
        raise ApiError(422, "invalid", "not a phone number", {"number": "not a phone number"}) from None
    if data.ticket_id is not None and not visibility.can_see_ticket(db, g.api_user, data.ticket_id):
        raise ApiError(422, "invalid", "unknown ticket", {"ticket_id": "no such ticket"})
    cb = Callback(number=number, source=CallbackSource.API, due_at=data.due_at.astimezone(dt.timezone.utc),
                  ticket_id=data.ticket_id,
                  customer_id=data.customer_id, requested_by_id=g.api_user.id)
    db.add(cb)
    db.flush()
    audit.record(db, "callback_created", actor=g.api_user, object_type="callback", object_id=cb.id,
                 ip=request.remote_addr, via="api")
    db.commit()
    return jsonify(CallbackOut(id=cb.id, number=cb.number, source=cb.source.value, status=cb.status.value,
                               due_at=cb.due_at, attempts=cb.attempts, call_id=cb.call_id,
                               ticket_id=cb.ticket_id, customer_id=cb.customer_id).model_dump(mode="json")), 201


@endpoint("GET", "/surveys", roles=(Role.SUPERVISOR, Role.QA, Role.ADMIN), summary="Survey results",
          response=SurveyOut, many=True, params=("limit", "offset"))
def list_surveys():  # type: ignore[no-untyped-def]
    return _page(select(Survey).order_by(Survey.id.desc()), lambda s: SurveyOut(
        id=s.id, channel=s.channel.value, status=s.status.value, score=s.score, call_id=s.call_id,
        ticket_id=s.ticket_id, agent_id=s.agent_id, completed_at=s.completed_at).model_dump(mode="json"))
