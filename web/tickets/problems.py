"""Linking from the ticket page: this ticket to a problem, another ticket to this problem, or unlinking.

Whoever may change a ticket links it (``routes._editable``); the other side only needs to be visible to them.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles
from callcenter.i18n import Refusal
from callcenter.models import Ticket, TicketMerge
from callcenter.problems.links import Problems
from callcenter.tickets.service import TicketError

from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import refusal
from .routes import _editable, _visible, bp


def _problems() -> Problems:
    found: Problems = current_app.extensions["container"].problems
    return found


def _back(number: str) -> ResponseReturnValue:
    return redirect(url_for("tickets.detail", number=number) + "#problem", 303)


def _link(page: str, incident: Ticket, target: Ticket) -> ResponseReturnValue:
    """``incident`` linked to ``target``'s problem; said, and back to the page it was asked from."""
    db = get_db()
    try:
        problem = _problems().link(db, actor(), incident, target)
    except TicketError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return _back(page)
    db.commit()
    flash(_("Ticket %(incident)s linked to problem %(number)s.", incident=incident.number, number=problem.number),
          "success")
    return _back(page)


@bp.route("/<number>/link", methods=["POST"])
@roles_required(roles.DESK)
def link(number: str) -> ResponseReturnValue:
    """This ticket becomes an incident of ``problem`` (a ticket number), which becomes a problem ticket."""
    incident = _editable(number)
    return _link(number, incident, _visible((request.form.get("problem") or "").strip()[:20]))


@bp.route("/<number>/incidents", methods=["POST"])
@roles_required(roles.DESK)
def add_incident(number: str) -> ResponseReturnValue:
    """Another ticket (``incident``, a number) becomes an incident of this one."""
    target = _visible(number)
    return _link(number, _editable((request.form.get("incident") or "").strip()[:20]), target)


@bp.route("/<number>/solve", methods=["POST"])
@roles_required(roles.DESK)
def solve(number: str) -> ResponseReturnValue:
    """Resolve the problem; its incidents are answered and resolved by a background job (its page shows
    the progress)."""
    db = get_db()
    problem = _editable(number)
    raw = (request.form.get("template_id") or "").strip()
    try:
        job = _problems().solve(db, actor(), problem, body=request.form.get("body", ""),
                                subject=request.form.get("subject", "")[:300],
                                template_id=int(raw) if raw.isdigit() and len(raw) < 10 else None,
                                label=_("Tell the incidents of problem %(number)s", number=problem.number))
    except Refusal as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return _back(number)
    db.commit()
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.route("/<number>/merge", methods=["POST"])
@roles_required(roles.DESK)
def merge(number: str) -> ResponseReturnValue:
    """This ticket merged into ``into`` (a ticket number); whoever merges may change both."""
    db = get_db()
    source = _editable(number)
    into = (request.form.get("into") or "").strip()[:20]
    target = _editable(into) if into.isdigit() else None
    if target is None:
        flash(_("Which ticket? Give its number."), "error")
        return _back(number)
    try:
        done = current_app.extensions["container"].merges.merge(db, actor(), source, target)
    except TicketError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return _back(number)
    db.commit()
    flash(_("Ticket %(number)s merged into %(into)s. You can undo it for 24 hours.", number=source.number,
            into=target.number), "success")
    into_ticket = db.get(Ticket, done.target_id)  # where it went: a merged target sends it on
    return redirect(url_for("tickets.detail", number=into_ticket.number if into_ticket else number), 303)


@bp.route("/<number>/merges/<int:merge_id>/undo", methods=["POST"])
@roles_required(roles.DESK)
def undo_merge(number: str, merge_id: int) -> ResponseReturnValue:
    """Undo a merge this ticket was part of (either side), within a day."""
    db = get_db()
    ticket = _editable(number)
    found = db.get(TicketMerge, merge_id)
    if found is None or ticket.id not in (found.source_id, found.target_id):
        abort(404)
    try:
        source = current_app.extensions["container"].merges.undo(db, actor(), found)
    except TicketError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return _back(number)
    db.commit()
    flash(_("Merge undone: ticket %(number)s has its messages back.", number=source.number), "success")
    return redirect(url_for("tickets.detail", number=source.number), 303)


@bp.route("/<number>/unlink", methods=["POST"])
@roles_required(roles.DESK)
def unlink(number: str) -> ResponseReturnValue:
    """This ticket is no longer an incident of its problem; back to the page it was asked from."""
    db = get_db()
    incident = _editable(number)
    problem = _problems().unlink(db, actor(), incident)
    db.commit()
    flash(_("Unlinked from problem %(number)s.", number=problem.number) if problem else _("Nothing changed."),
          "success")
    back = (request.form.get("back") or "").strip()
    return _back(back if back.isdigit() and len(back) <= 20 else number)
