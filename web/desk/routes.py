"""The agent desk: the live stream that pops calls, and the intake form."""
from __future__ import annotations

import json
import queue
from typing import Any

from flask import Response, abort, current_app, jsonify, render_template, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from callcenter import audit, visibility
from callcenter import tickets as ticket_ops
from callcenter.forms import catalog, intake
from callcenter.forms.validate import FormErrors
from callcenter.models import Call, Customer, CustomerPhone, FormSubmission, Role, Ticket, User, VipTier
from callcenter.phone import InvalidNumber, to_e164

from ..auth.access import roles_required
from ..db import get_db, release_db
from . import bp

DESK_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
KEEPALIVE_SECONDS = 15


def _region() -> str:
    return current_app.extensions["container"].settings.phone.default_region


@bp.route("/")
@roles_required(*DESK_ROLES)
def index():  # type: ignore[no-untyped-def]
    return render_template("desk/index.html")


@bp.route("/events")
@roles_required(*DESK_ROLES)
def events():  # type: ignore[no-untyped-def]
    """Server-sent events: pops arrive the moment the bridge sees the ring."""
    hub = current_app.extensions["pops"]
    user_id = current_user.id
    # A stream lives for hours: it must not hold a database session (on
    # SQLite that would be the write lock) while it waits.
    release_db()
    stream = hub.connect(user_id)

    def generate():  # type: ignore[no-untyped-def]
        try:
            yield "retry: 2000\n\n"
            while True:
                try:
                    msg = stream.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    yield ": keepalive\n\n"
                    continue
                if msg["type"] == "close":
                    return
                yield f"event: {msg['type']}\ndata: {json.dumps(msg['data'], default=str)}\n\n"
        finally:
            hub.disconnect(user_id, stream)

    return Response(stream_with_context(generate()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _call_for_desk(call_id: int) -> Call:
    """The call, if this user may work on it (it rang them, or it is visible to them)."""
    db = get_db()
    call = db.get(Call, call_id)
    if call is None:
        abort(404)
    shown = current_app.extensions["pops"].was_shown(current_user.id, call.pbx, call.linkedid)
    if not shown and not visibility.can_see_call(db, current_user, call_id):
        audit.record(db, "access_denied", actor=current_user, object_type="call", object_id=call_id,
                     ip=request.remote_addr, outcome="denied")
        db.commit()
        abort(403)
    return call


def _form_for(call: Call, slug: str | None) -> Any:
    db = get_db()
    if slug:
        form = catalog.latest(db, slug)
        if form is None or not form.is_active:
            abort(404)
        return form
    # The pop knows the queue the moment the phone rings; the call row may catch up later.
    hint = request.args.get("category", "")[:80] or None
    form = catalog.form_for_category(db, (call.ivr or {}).get("category") or call.queue_name or hint)
    if form is None:
        abort(404)
    return form


@bp.route("/calls/<int:call_id>/form")
@roles_required(*DESK_ROLES)
def form(call_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    call = _call_for_desk(call_id)
    definition = _form_for(call, request.args.get("form"))
    spec = catalog.spec_of(definition)
    customer = db.get(Customer, call.customer_id) if call.customer_id else None
    values = intake.prefill(spec, call, customer)
    draft = db.scalar(select(FormSubmission).where(
        FormSubmission.idempotency_key == intake.draft_key(call.id, current_user.id)))
    if draft is not None and draft.form_id == definition.id:
        values.update(draft.data or {})
    ticket = db.get(Ticket, call.ticket_id) if call.ticket_id else None
    open_tickets = ticket_ops.open_tickets_for_customer(db, customer.id) if customer else []
    return render_template("desk/form.html", call=call, spec=spec, definition=definition,
                           values=values, customer=customer, ticket=ticket, open_tickets=open_tickets,
                           all_forms=catalog.active_forms(db), draft=draft)


def _answers() -> dict[str, Any]:
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, "expected a JSON object")
        return data
    data: dict[str, Any] = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        values = request.form.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    return data


@bp.route("/calls/<int:call_id>/draft", methods=["POST"])
@roles_required(*DESK_ROLES)
def save_draft(call_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    call = _call_for_desk(call_id)
    data = _answers()
    definition = _form_for(call, str(data.pop("_form", "")) or None)
    user = db.get(User, current_user.id)
    row = intake.save_draft(db, definition, call, user, data, region=_region())
    db.commit()
    return jsonify(saved=True, status=row.status.value, updated_at=row.updated_at.isoformat())


@bp.route("/calls/<int:call_id>/submit", methods=["POST"])
@roles_required(*DESK_ROLES)
def submit(call_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    call = _call_for_desk(call_id)
    data = _answers()
    definition = _form_for(call, str(data.pop("_form", "")) or None)
    wrapup = str(data.pop("wrapup_code", "") or "") or None
    attach_raw = str(data.pop("attach_to", "") or "")
    attach_to = None
    if attach_raw:
        if not attach_raw.isdigit() or not visibility.can_edit_ticket(db, current_user, int(attach_raw)):
            return jsonify(errors={"attach_to": "not a ticket you can update"}), 422
        attach_to = db.get(Ticket, int(attach_raw))
    user = db.get(User, current_user.id)
    try:
        result = intake.submit(db, definition, call, user, data, wrapup_code=wrapup,
                               attach_to=attach_to, region=_region())
    except FormErrors as exc:
        db.rollback()
        return jsonify(errors=exc.errors), 422
    audit.record(db, "ticket_created" if result.created else "ticket_updated", actor=user,
                 object_type="ticket", object_id=result.ticket.number, ip=request.remote_addr,
                 call_id=call.id)
    current_app.extensions["container"].bus.publish(
        "ticket_created" if result.created else "ticket_updated",
        {"ticket_id": result.ticket.id, "number": result.ticket.number, "call_id": call.id},
        session=db)
    db.commit()
    return jsonify(ticket_number=result.ticket.number, ticket_id=result.ticket.id, created=result.created)


@bp.route("/calls/<int:call_id>/customer", methods=["POST"])
@roles_required(*DESK_ROLES)
def create_customer(call_id: int):  # type: ignore[no-untyped-def]
    """An unknown caller becomes a customer, with the number they called from."""
    db = get_db()
    call = _call_for_desk(call_id)
    data = _answers()
    name = str(data.get("name", "")).strip()
    errors = {}
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        errors["name"] = "a name of 1-200 characters"
    language = str(data.get("language", "en"))
    if language not in current_app.config["LANGUAGES"]:
        errors["language"] = "not an offered language"
    number = ""
    try:
        number = to_e164(str(data.get("number") or call.caller_number or ""), _region())
    except InvalidNumber:
        errors["number"] = "not a phone number"
    if number and db.scalar(select(CustomerPhone.id).where(CustomerPhone.number == number)):
        errors["number"] = "this number already belongs to a customer"
    if errors:
        return jsonify(errors=errors), 422
    customer = Customer(name=name, language=language, vip_tier=VipTier.NONE,
                        phones=[CustomerPhone(number=number)])
    db.add(customer)
    db.flush()
    call.customer_id = customer.id
    audit.record(db, "customer_created", actor=current_user, object_type="customer",
                 object_id=customer.id, ip=request.remote_addr)
    db.commit()
    return jsonify(customer_id=customer.id), 201
