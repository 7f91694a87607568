"""A pop from the ring to its end, beyond a new ticket: the agent's open pops (a reload or a second tab
shows the same queue), the call attached to a ticket found by search, or closed as "no ticket needed"."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from callcenter.access import roles, visibility
from callcenter.i18n import N_, Refusal
from callcenter.inputs import parsers
from callcenter.models import Ticket
from callcenter.tickets.queries import MAX_SEARCH, attachable

from .. import labels
from ..auth.access import actor, roles_required, user
from ..db import get_db
from ..messages import field_errors, refusal
from ..query_args import page_args
from .present import present
from .routes import _answers, _call_for_desk, _container, _hub

bp = Blueprint("desk_lifecycle", __name__, url_prefix="/desk")


@bp.route("/pops")
@roles_required(roles.DESK)
def pops() -> ResponseReturnValue:
    """The agent's open pops, oldest first: what every tab of theirs shows, after a reload too."""
    db = get_db()
    rows = _container().pops.open_pops(db, user().id)
    names = _hub().names()
    listed = [present({**row.payload, "state": row.state.value}, names) for row in rows]
    db.commit()  # pops settled from their call's row
    _hub().track(user().id, [row.key for row in rows])  # this process now moves them as their calls go on
    return jsonify(pops=listed), 200, {"Cache-Control": "no-store"}


@bp.route("/calls/<int:call_id>/no-ticket", methods=["POST"])
@roles_required(roles.DESK)
def no_ticket(call_id: int) -> ResponseReturnValue:
    db = get_db()
    call = _call_for_desk(call_id)
    data = _answers()
    try:
        code = _container().intake.no_ticket(db, call, actor(), _one(data, "reason"), _one(data, "note"))
    except Refusal as exc:
        return _refused(exc)
    db.commit()
    return jsonify(outcome="no_ticket", reason=code.code, label=labels.code("wrapup", code.code))


@bp.route("/calls/<int:call_id>/attach", methods=["POST"])
@roles_required(roles.DESK)
def attach(call_id: int) -> ResponseReturnValue:
    db = get_db()
    call = _call_for_desk(call_id)
    try:
        ticket_id = parsers.ident(_one(_answers(), "ticket_id") or "", "ticket_id")
    except parsers.InvalidInput:
        ticket_id = None
    ticket = db.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None or not visibility.can_edit_ticket(db, user(), ticket.id):
        return jsonify(errors=field_errors({"ticket_id": N_("Not a ticket you can update.")})), 422
    try:
        _container().intake.attach(db, call, actor(), ticket)
    except Refusal as exc:
        return _refused(exc)
    db.commit()
    return jsonify(outcome="attached", ticket_id=ticket.id, ticket_number=ticket.number)


@bp.route("/tickets")
@roles_required(roles.DESK)
def find_tickets() -> ResponseReturnValue:
    """Tickets the agent may attach a call to, by number, subject, or the customer's name or number."""
    db = get_db()
    q = page_args().text("q", MAX_SEARCH)
    zone = _container().settings.timezone
    found = attachable(db, visibility.ticket_clause(user()), q, zone) if q else []
    return jsonify(tickets=[{"id": t.id, "number": t.number, "subject": t.subject, "customer": name,
                             "status": labels.code("status", t.status)} for t, name in found])


def _one(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _refused(exc: Refusal) -> ResponseReturnValue:
    """Nothing is stored; the message in the agent's language (by its field, when it has one)."""
    get_db().rollback()
    message = refusal(exc)
    status = 409 if exc.code == "has_ticket" else 422
    return jsonify(error=exc.code, message=message, errors={exc.field or "_": message}), status
