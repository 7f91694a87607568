"""Acting on calls from the desk: click-to-call (and, below it, transfers and monitoring).

Thin: each route reads the request, checks the record is the user's to
see, calls the ``callcenter.callcontrol`` service and words its answer
(or its error code) in the user's language.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from callcenter.access import roles, visibility
from callcenter.callcontrol.errors import CallControlError
from callcenter.inputs import parsers
from callcenter.models import Callback
from callcenter.wiring import Container

from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db

bp = Blueprint("callcontrol", __name__, url_prefix="/desk")

ERRORS = {
    "bad_request": _l("This button is out of date: reload the page and try again."),
    "bad_number": _l("That is not a phone number."),
    "unknown_number": _l("That number does not belong to this ticket, customer or callback."),
    "no_phone": _l("You have no phone yet: ask an administrator for an extension."),
    "phone_unregistered": _l("Your phone is not registered: open the softphone, or check your desk phone."),
    "phone_busy": _l("Your phone is busy: finish your current call first."),
    "already_dialling": _l("The dispatcher is calling this number right now."),
    "no_call": _l("You are not on a call."),
    "unknown_target": _l("There is no such colleague or queue."),
    "target_unavailable": _l("Your colleague's phone cannot ring now (not registered or busy)."),
    "private_queue": _l("Monitoring is turned off for this queue."),
    "not_monitoring": _l("You are not listening to a call."),
    "link_down": _l("The phone system cannot be reached right now; nothing was dialled. Try again in a moment."),
    "failed": _l("The phone system refused the call."),
}
REFUSALS = {
    "denied_range": _l("The dialling policy does not allow this number (premium-rate or satellite)."),
    "number_type": _l("The dialling policy does not allow this kind of number (premium-rate, shared cost …)."),
    "country": _l("The dialling policy does not allow calls to this country."),
    "not_e164": _l("That is not a phone number in international form."),
    "daily_limit": _l("This number has been called too often today."),
}


def _container() -> Container:
    found: Container = current_app.extensions["container"]
    return found


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _ident(data: dict[str, Any], name: str) -> int | None:
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        return parsers.ident(str(raw), name)
    except parsers.InvalidInput:
        return None


def failure(exc: CallControlError) -> ResponseReturnValue:
    """The error as JSON: its code, and a sentence in the user's language."""
    message = REFUSALS.get(str(exc.facts.get("reason"))) if exc.code == "refused" else None
    text = str(message or ERRORS.get(exc.code, ERRORS["failed"]))
    return jsonify(error=exc.code, message=text), exc.status


@bp.route("/dial", methods=["POST"])
@roles_required(roles.DESK)
def dial() -> ResponseReturnValue:
    """Click-to-call from a ticket, a customer or a callback: the agent's phone rings, then the customer."""
    db = get_db()
    data = _json()
    ticket_id, customer_id, callback_id = (_ident(data, k) for k in ("ticket_id", "customer_id", "callback_id"))
    if ticket_id is not None and not visibility.can_see_ticket(db, user(), ticket_id):
        refuse("ticket", ticket_id)
    if callback_id is not None and db.scalar(select(Callback.id).where(
            Callback.id == callback_id, visibility.callback_clause(user()))) is None:
        refuse("callback", callback_id)
    db.close()  # the service opens its own short transactions
    try:
        placed = _container().click_to_call.place(actor(), str(data.get("key") or ""), str(data.get("number") or ""),
                                                  ticket_id=ticket_id, customer_id=customer_id,
                                                  callback_id=callback_id)
    except CallControlError as exc:
        return failure(exc)
    if placed.again:
        message = _("This call is already under way.")
    elif placed.status == "unknown":
        message = _("The link to the phone system dropped as the call was placed. It was not dialled again: "
                    "if your phone does not ring, try again in a minute.")
    else:
        message = _("Your phone is ringing; the customer is called when you answer.")
    return jsonify(click_id=placed.click_id, status=placed.status, call_id=placed.call_id, again=placed.again,
                   message=message)


def _ticket_arg(data: dict[str, Any]) -> int | None:
    """The ticket the agent has open, if it is theirs to see (else refused and audited)."""
    ticket_id = _ident(data, "ticket_id")
    if ticket_id is not None and not visibility.can_see_ticket(get_db(), user(), ticket_id):
        refuse("ticket", ticket_id)
    return ticket_id


TRANSFERRED = {
    "blind": _l("Transferred: the caller is on the way."),
    "attended": _l("Consulting your colleague; the caller is on hold. Complete or cancel the transfer."),
    "complete": _l("The caller is with your colleague now."),
    "cancel": _l("Back with the caller."),
}


def _transferred(mode: str, done: Any) -> ResponseReturnValue:
    return jsonify(mode=mode, kind=done.kind, target=done.target, call_id=done.call_id,
                   message=str(TRANSFERRED[mode]))


@bp.route("/transfer", methods=["POST"])
@roles_required(roles.DESK)
def transfer() -> ResponseReturnValue:
    """Move the agent's live call: blind to an agent, a queue or a number, or attended to an agent."""
    data = _json()
    ticket_id = _ticket_arg(data)
    mode, kind, target = str(data.get("mode") or "blind"), str(data.get("kind") or ""), str(data.get("target") or "")
    get_db().close()
    service = _container().transfers
    try:
        if mode == "attended":
            agent = _ident(data, "target")
            if kind != "agent" or agent is None:
                raise CallControlError("bad_request", "an attended transfer goes to a colleague")
            done = service.attended(actor(), agent, ticket_id)
        elif mode == "blind":
            done = service.blind(actor(), kind, target, ticket_id)
        else:
            raise CallControlError("bad_request", f"unknown transfer mode {mode!r}")
    except CallControlError as exc:
        return failure(exc)
    return _transferred(mode, done)


@bp.route("/transfer/complete", methods=["POST"])
@roles_required(roles.DESK)
def transfer_complete() -> ResponseReturnValue:
    """The consulting agent hangs up: the caller and the colleague are joined; the ticket is theirs."""
    data = _json()
    ticket_id = _ticket_arg(data)
    get_db().close()
    try:
        done = _container().transfers.complete(actor(), _ident(data, "target"), ticket_id)
    except CallControlError as exc:
        return failure(exc)
    return _transferred("complete", done)


@bp.route("/transfer/cancel", methods=["POST"])
@roles_required(roles.DESK)
def transfer_cancel() -> ResponseReturnValue:
    try:
        done = _container().transfers.cancel(actor())
    except CallControlError as exc:
        return failure(exc)
    return _transferred("cancel", done)
