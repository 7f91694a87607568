"""API: tickets you may see (the desk's filters, days of the centre), one ticket, create, change; another
system's reference attached to a ticket, and the ticket found again by it."""
from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles, visibility
from callcenter.i18n import N_
from callcenter.models import Call, Customer, Priority, Ticket
from callcenter.tickets import queries
from callcenter.tickets.deadlines import SLA_STATES
from callcenter.tickets.references import TicketReferenceError

from ..db import get_db
from .registry import ApiError, api_actor, api_user, args, body, container, endpoint, page, refused
from .schemas import ReferenceIn, TicketIn, TicketOut, TicketPatch
from .spec import Param


@endpoint("GET", "/tickets", roles=roles.EVERYONE, scope="tickets:read",
          summary=N_("List tickets you may see, newest first"),
          response=TicketOut, many=True,
          params=(Param.choice("status", queries.STATUS_FILTERS), Param.choice("priority", queries.PRIORITY_FILTERS),
                  "queue", "category", "assignee", Param.choice("sla", SLA_STATES), "from", "to", "q", "limit",
                  "offset"))
def list_tickets() -> ResponseReturnValue:
    where = [visibility.ticket_clause(api_user()),
             *queries.filters(args(), container().settings.timezone, api_user().id)]
    return page(select(Ticket).where(*where).order_by(Ticket.created_at.desc()), TicketOut.of)


def visible_ticket(number: str) -> Ticket:
    """The ticket of this number, if the caller may see it (else 404, the refusal audited)."""
    db = get_db()
    ticket = db.scalar(select(Ticket).where(Ticket.number == number)) if number.isdigit() else None
    if ticket is None:
        raise ApiError(404, "not_found", "no such ticket")
    if not visibility.can_see_ticket(db, api_user(), ticket.id):
        refused("ticket", number)
    return ticket


def editable_ticket(number: str) -> Ticket:
    """The ticket of this number, if the caller may change it (else 404, the refusal audited)."""
    ticket = visible_ticket(number)
    if not visibility.can_edit_ticket(get_db(), api_user(), ticket.id):
        refused("ticket", number)
    return ticket


@endpoint("GET", "/tickets/<number>", roles=roles.EVERYONE, scope="tickets:read",
          summary=N_("One ticket by number"), response=TicketOut)
def get_ticket(number: str) -> ResponseReturnValue:
    return jsonify(TicketOut.of(visible_ticket(number)).model_dump(mode="json"))


@endpoint("POST", "/tickets", roles=roles.DESK, scope="tickets:write",
          summary=N_("Create a ticket (the dispatcher assigns it at once)"),
          request_model=TicketIn, response=TicketOut, status=201)
def create_ticket() -> ResponseReturnValue:
    db = get_db()
    data = body(TicketIn)
    call = None
    if data.call_id is not None:
        call = db.get(Call, data.call_id)
        if call is None or not visibility.can_see_call(db, api_user(), data.call_id):
            raise ApiError(422, "invalid", "unknown call", {"call_id": "no such call"})
        if call.ticket_id is not None:
            raise ApiError(409, "conflict", "this call already has a ticket",
                           {"call_id": f"ticket id {call.ticket_id}"})
    if data.customer_id is not None and db.get(Customer, data.customer_id) is None:
        raise ApiError(422, "invalid", "unknown customer", {"customer_id": "no such customer"})
    ticket = container().tickets.create(db, api_actor(), call=call, subject=data.subject, source="api",
                                        description=data.description, category=data.category,
                                        priority=Priority(data.priority), customer_id=data.customer_id,
                                        reason="api")
    db.commit()
    return jsonify(TicketOut.of(ticket).model_dump(mode="json")), 201


@endpoint("PATCH", "/tickets/<number>", roles=roles.DESK, scope="tickets:write",
          summary=N_("Change status or priority, add a note"),
          request_model=TicketPatch, response=TicketOut)
def patch_ticket(number: str) -> ResponseReturnValue:
    db = get_db()
    ticket = editable_ticket(number)
    data = body(TicketPatch)
    values = {k: v for k, v in (("status", data.status), ("priority", data.priority)) if v is not None}
    tickets = container().tickets
    tickets.change(db, ticket, api_actor(), reason=data.reason or "api", **values)
    if data.note:
        tickets.add_note(db, ticket, data.note, api_actor())
    db.commit()
    return jsonify(TicketOut.of(ticket).model_dump(mode="json"))


@endpoint("POST", "/tickets/<number>/references", roles=roles.DESK, scope="tickets:write",
          summary=N_("Attach another system's reference to a ticket (again: nothing changes)"),
          request_model=ReferenceIn, response=TicketOut, status=201)
def add_reference(number: str) -> ResponseReturnValue:
    db = get_db()
    ticket = editable_ticket(number)
    data = body(ReferenceIn)
    try:
        _, new = container().ticket_references.attach(db, ticket, api_actor(), system=data.system, ref=data.ref,
                                                      url=data.url)
    except TicketReferenceError as exc:
        db.rollback()
        raise ApiError(409 if exc.conflict else 422, "conflict" if exc.conflict else "invalid", str(exc),
                       {exc.field or "ref": str(exc)}) from None
    db.commit()
    return jsonify(TicketOut.of(ticket).model_dump(mode="json")), 201 if new else 200


@endpoint("GET", "/tickets/by-reference", roles=roles.EVERYONE, scope="tickets:read",
          summary=N_("The ticket another system's reference names"), response=TicketOut,
          params=(Param("system", {"type": "string", "minLength": 1, "maxLength": 40}, required=True),
                  Param("ref", {"type": "string", "minLength": 1, "maxLength": 200}, required=True)))
def ticket_by_reference() -> ResponseReturnValue:
    system, ref = args().text("system", 40), args().text("ref", 200)
    if not system or not ref:
        raise ApiError(422, "invalid", "system and ref are both needed",
                       {k: "required" for k, v in (("system", system), ("ref", ref)) if not v})
    db = get_db()
    found = container().ticket_references.find(db, system, ref)
    if found is None:
        raise ApiError(404, "not_found", "no ticket has this reference")
    if not visibility.can_see_ticket(db, api_user(), found.id):
        refused("ticket", found.number or str(found.id))
    return jsonify(TicketOut.of(found).model_dump(mode="json"))
