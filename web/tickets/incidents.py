"""Incident mode from the problem ticket's page: declare (or reword) the incident callers hear, end it, or
dismiss a proposal of the surge watch.  Supervisors and admins only: it changes what every caller hears."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles
from callcenter.models import Incident, IncidentStatus, Ticket
from callcenter.problems.incidents import Incidents
from callcenter.tickets.service import TicketError

from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import refusal
from .routes import _editable, bp


def _incidents() -> Incidents:
    found: Incidents = current_app.extensions["container"].incidents
    return found


def _back(number: str) -> ResponseReturnValue:
    return redirect(url_for("tickets.detail", number=number) + "#incident", 303)


@bp.route("/<number>/incident", methods=["POST"])
@roles_required(roles.MANAGERS)
def declare_incident(number: str) -> ResponseReturnValue:
    """Open the incident of this (problem) ticket, or change its words or whose callers hear it."""
    db = get_db()
    problem = _editable(number)
    form = request.form
    try:
        _incidents().declare(db, actor(), problem, message_en=form.get("message_en", "")[:2000],
                             message_zh=form.get("message_zh", "")[:2000], queue=form.get("queue", "")[:80],
                             category=form.get("category", "")[:80])
    except TicketError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return _back(number)
    db.commit()
    flash(_("Incident declared: callers hear the message before the menu."), "success")
    return _back(number)


@bp.route("/<number>/incident/end", methods=["POST"])
@roles_required(roles.MANAGERS)
def end_incident(number: str) -> ResponseReturnValue:
    """No more message, without a fix to announce (solving the problem ends it and tells the subscribers)."""
    db = get_db()
    problem = _editable(number)
    incident = _incidents().live(db, problem.id)
    if incident is not None:
        _incidents().end(db, actor(), incident, solved=False)
    db.commit()
    flash(_("Incident ended: callers no longer hear the message."), "success")
    return _back(number)


@bp.route("/incidents/<int:incident_id>/dismiss", methods=["POST"])
@roles_required(roles.MANAGERS)
def dismiss_incident(incident_id: int) -> ResponseReturnValue:
    """The surge watch's proposal was not an incident."""
    db = get_db()
    incident = db.get(Incident, incident_id)
    if incident is None or incident.status is not IncidentStatus.PROPOSED:
        abort(404)
    ticket = db.get(Ticket, incident.problem_id) if incident.problem_id else None
    _incidents().end(db, actor(), incident, solved=False)
    db.commit()
    flash(_("Proposal dismissed."), "success")
    return _back(ticket.number) if ticket is not None and ticket.number else redirect(url_for("wallboard.index"), 303)

