"""The agent desk: the live stream that pops calls, and the intake form."""
from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.access import roles, visibility
from callcenter.customers.service import CustomerError
from callcenter.forms import catalog, intake
from callcenter.forms.validate import FormErrors
from callcenter.i18n import N_, Refusal
from callcenter.inputs import parsers
from callcenter.models import (
    OPEN_STATUSES,
    AgentProfile,
    Call,
    Customer,
    FormDefinition,
    FormSubmission,
    Queue,
    Ticket,
    User,
    WrapupKind,
)
from callcenter.people import wrapup
from callcenter.tickets.queries import open_for_customer, open_hidden_for_customer
from callcenter.tickets.service import TicketError
from callcenter.wiring import Container

from .. import sse
from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db
from ..messages import field_errors
from ..query_args import page_args
from . import phone
from .pops import PopHub
from .present import present

bp = Blueprint("desk", __name__, url_prefix="/desk")
KEEPALIVE_SECONDS = 15


def _container() -> Container:
    found: Container = current_app.extensions["container"]
    return found


def _hub() -> PopHub:
    hub: PopHub = current_app.extensions["pops"]
    return hub


@bp.route("/")
@roles_required(roles.DESK)
def index() -> ResponseReturnValue:
    db = get_db()
    # Whom a call can be transferred to: colleagues with a phone, and the queues.
    colleagues = db.execute(select(User.id, User.display_name, User.username)
                            .join(AgentProfile, AgentProfile.user_id == User.id)
                            .where(User.is_active, User.id != user().id).order_by(User.username)).all()
    queues = db.scalars(select(Queue.name).order_by(Queue.name)).all()
    return render_template("desk/index.html", colleagues=colleagues, queues=queues,
                           phone=phone.available(), crm=_container().crm.enabled)


@bp.route("/events")
@roles_required(roles.DESK)
def events() -> ResponseReturnValue:
    """Server-sent events: pops arrive the moment the bridge sees the ring."""
    hub, user_id = _hub(), user().id

    def open_events(slot: sse.Slot) -> Iterator[str]:
        stream = hub.connect(user_id)
        # A replaced or finished stream wakes from its wait at once, not at the next keepalive.
        slot.on_end(lambda: hub.end_stream(user_id, stream))
        return generate(slot, stream)

    def generate(slot: sse.Slot, stream: queue.Queue[dict[str, Any]]) -> Iterator[str]:
        try:
            while not slot.ended:
                try:
                    msg = stream.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    yield sse.KEEPALIVE
                    continue
                if msg["type"] == "close":
                    return
                # Said in this stream's reader's language (the stream keeps its request's locale).
                yield sse.message(msg["type"], present(msg["data"], hub.names()) if msg["type"] == "pop"
                                  else msg["data"])
        finally:
            hub.disconnect(user_id, stream)

    return sse.stream(user_id, open_events)


def _call_for_desk(call_id: int) -> Call:
    """The call, if this user may work on it (it rang them, or it is visible to them)."""
    db = get_db()
    call = db.get(Call, call_id)
    if call is None:
        abort(404)
    if not visibility.can_see_call(db, user(), call_id) and not _container().pops.popped_to(
            db, user().id, call.pbx, call.linkedid):
        refuse("call", call_id)
    return call


def _form_for(call: Call, slug: str | None) -> FormDefinition:
    db = get_db()
    if slug:
        form = catalog.latest(db, slug)
        if form is None or not form.is_active:
            abort(404)
        return form
    # The pop knows the queue the moment the phone rings; the call row may catch up later.
    hint = page_args().text("category", 80) or None
    found = catalog.form_for_call(db, call, hint)
    if found is None:
        abort(404)
    return found


@bp.route("/calls/<int:call_id>/form")
@roles_required(roles.DESK)
def form(call_id: int) -> ResponseReturnValue:
    """The pop's form, a fragment the desk loads; a browser sent here directly goes to the desk, where it works."""
    if request.headers.get("Sec-Fetch-Mode") == "navigate":
        return redirect(url_for("desk.index"))
    db = get_db()
    call = _call_for_desk(call_id)
    definition = _form_for(call, request.args.get("form"))
    spec = catalog.spec_of(definition)
    customer = db.get(Customer, call.customer_id) if call.customer_id else None
    values = intake.prefill(spec, call, customer)
    draft = db.scalar(select(FormSubmission).where(
        FormSubmission.idempotency_key == intake.draft_key(call.id, user().id)))
    if draft is not None and draft.form_id == definition.id:
        values.update(draft.data or {})
    ticket = db.get(Ticket, call.ticket_id) if call.ticket_id else None
    visible = visibility.ticket_clause(user())
    open_tickets = open_for_customer(db, customer.id, visible=visible) if customer else []
    restricted = open_hidden_for_customer(db, customer.id, visible) if customer else 0
    return render_template("desk/form.html", call=call, spec=spec, definition=definition,
                           values=values, customer=customer, ticket=ticket, open_tickets=open_tickets,
                           restricted_tickets=restricted, problem=_heard_problem(db, call),
                           all_forms=catalog.active_forms(db), draft=draft,
                           wrapup_codes=wrapup.listing(db, active_only=True, kind=WrapupKind.TICKET),
                           reasons=wrapup.listing(db, active_only=True, kind=WrapupKind.NO_TICKET),
                           caller_id_name=intake.caller_id_name(call))


SIMILAR_SHOWN = 5


def _heard_problem(db: Session, call: Call) -> Ticket | None:
    """The open problem ticket of the incident this caller heard in the IVR, if the agent may see it: the
    form offers to link the new ticket to it, ticked."""
    heard = (call.ivr or {}).get("incident")
    problem_id = heard.get("problem_id") if isinstance(heard, dict) else None
    return _open_visible(db, str(problem_id)) if isinstance(problem_id, int) else None


def _open_visible(db: Session, raw: str) -> Ticket | None:
    """The open ticket with id ``raw`` if this user may see it (what a new ticket may be linked to)."""
    if not raw.isdigit() or len(raw) > 12 or not visibility.can_see_ticket(db, user(), int(raw)):
        return None
    found = db.get(Ticket, int(raw))
    return found if found is not None and found.status in OPEN_STATUSES else None


@bp.route("/calls/<int:call_id>/similar")
@roles_required(roles.DESK)
def similar(call_id: int) -> ResponseReturnValue:
    """Open tickets like what the agent has typed so far (and the call's menu category): the form's panel."""
    db = get_db()
    call = _call_for_desk(call_id)
    text = (request.args.get("text") or "")[:2000]
    category = (call.ivr or {}).get("category")
    found = _container().similar_tickets.for_text(db, text, category=category if isinstance(category, str) else None,
                                                  visible=visibility.ticket_clause(user()))[:SIMILAR_SHOWN]
    return jsonify(tickets=[{"id": a.ticket_id, "number": a.number, "subject": a.subject,
                             "score": round(a.score, 2), "shared": list(a.shared[:5])} for a in found])


def _answers() -> dict[str, Any]:
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, "expected a JSON object")
        data.pop("csrf_token", None)  # the form carries one for browsers without the desk's script
        return data
    answers: dict[str, Any] = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        values = request.form.getlist(key)
        answers[key] = values if len(values) > 1 else values[0]
    return answers


@bp.route("/calls/<int:call_id>/draft", methods=["POST"])
@roles_required(roles.DESK)
def save_draft(call_id: int) -> ResponseReturnValue:
    db = get_db()
    call = _call_for_desk(call_id)
    data = _answers()
    definition = _form_for(call, str(data.pop("_form", "")) or None)
    row = _container().intake.save_draft(db, definition, call, actor(), data)
    db.commit()
    return jsonify(saved=True, status=row.status.value, updated_at=row.updated_at.isoformat())


@bp.route("/calls/<int:call_id>/submit", methods=["POST"])
@roles_required(roles.DESK)
def submit(call_id: int) -> ResponseReturnValue:
    db = get_db()
    call = _call_for_desk(call_id)
    data = _answers()
    definition = _form_for(call, str(data.pop("_form", "")) or None)
    wrapup = str(data.pop("wrapup_code", "") or "") or None
    attach_raw = str(data.pop("attach_to", "") or "")
    # The incident's problem the caller heard (ticked), else a similar ticket the agent chose: linked on submit.
    link_raw = str(data.pop("link_problem", "") or "") or str(data.pop("link_to", "") or "")
    data.pop("link_to", None)
    attach_to = None
    if attach_raw:
        try:
            attach_id = parsers.ident(attach_raw, "attach_to")
        except parsers.InvalidInput:
            attach_id = None
        if attach_id is None or not visibility.can_edit_ticket(db, user(), attach_id):
            return jsonify(errors=field_errors({"attach_to": N_("Not a ticket you can update.")})), 422
        attach_to = db.get(Ticket, attach_id)
    try:
        result = _container().intake.submit(db, definition, call, actor(), data, wrapup_code=wrapup,
                                            attach_to=attach_to)
        target = _open_visible(db, link_raw)
        if result.created and target is not None:
            _container().problems.link(db, actor(), result.ticket, target)
    except FormErrors as exc:
        db.rollback()
        return jsonify(errors=field_errors(dict[str, Refusal | str](exc.errors))), 422
    except TicketError as exc:  # the problem was closed meanwhile: nothing is stored, the agent sees why
        db.rollback()
        return jsonify(errors=field_errors({"link_problem": exc})), 422
    db.commit()
    return jsonify(ticket_number=result.ticket.number, ticket_id=result.ticket.id, created=result.created)


@bp.route("/calls/<int:call_id>/customer", methods=["POST"])
@roles_required(roles.DESK)
def create_customer(call_id: int) -> ResponseReturnValue:
    """An unknown caller becomes a customer, with the number they called from."""
    db = get_db()
    call = _call_for_desk(call_id)
    data = _answers()
    language = str(data.get("language", "en"))
    errors = {} if language in current_app.config["LANGUAGES"] else {"language": "not an offered language"}
    try:
        customer = _container().customers.create(
            db, actor(), name=str(data.get("name", "")), numbers=[str(data.get("number") or call.caller_number or "")],
            language=language, call=call)
    except CustomerError as exc:
        # The desk's one number is its "number" field.
        errors |= {"number" if key.startswith("phones.") else key: text for key, text in exc.fields.items()}
    if errors:  # every field's problem at once; nothing is stored
        db.rollback()
        return jsonify(errors=errors), 422
    db.commit()
    return jsonify(customer_id=customer.id), 201
