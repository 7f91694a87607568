"""Tickets: the filtered list, the detail page with the call's story, and changes."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from callcenter.access import roles, visibility
from callcenter.background import jobs as background
from callcenter.forms import catalog, wrapups
from callcenter.models import (
    Call,
    Callback,
    CallbackStatus,
    Customer,
    FormDefinition,
    FormSubmission,
    Priority,
    Queue,
    Ticket,
    TicketStatus,
    User,
)
from callcenter.tickets import export, queries
from callcenter.tickets.deadlines import sla_state
from callcenter.tickets.service import TicketError, TicketService

from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db
from ..downloads import csv_download
from ..query_args import note_ignored, page_args

bp = Blueprint("tickets", __name__, url_prefix="/tickets")
PAGE = 50
MAX_PAGES = 100_000


def _service() -> TicketService:
    service: TicketService = current_app.extensions["container"].tickets
    return service


def _zone() -> str:
    zone: str = current_app.extensions["container"].settings.timezone
    return zone


@bp.route("/")
@roles_required(roles.EVERYONE)
def index() -> ResponseReturnValue:
    db = get_db()
    read = page_args()
    where = [visibility.ticket_clause(user()), *queries.filters(read, _zone(), user().id)]
    page = read.whole("page", 1, MAX_PAGES) or 1
    note_ignored(read)
    total = db.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0
    rows = db.scalars(select(Ticket).where(*where).order_by(Ticket.created_at.desc())
                      .offset((page - 1) * PAGE).limit(PAGE)).all()
    users = {u.id: u for u in db.scalars(select(User).where(
        User.id.in_({t.assignee_id for t in rows if t.assignee_id})))}
    return render_template(
        "tickets/index.html", tickets=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        users=users, queues=db.scalars(select(Queue).order_by(Queue.name)).all(),
        agents=db.scalars(select(User).where(User.role.in_(roles.ASSIGNABLE)).order_by(User.username)).all(),
        categories=sorted({f.category for f in catalog.active_forms(db)}),
        sla_state=sla_state, args=request.args, statuses=list(TicketStatus), priorities=list(Priority),
        export_keys=export.FILTER_KEYS)


@bp.route("/export", methods=["POST"])
@roles_required(roles.MANAGERS)
def export_csv() -> ResponseReturnValue:
    """The list under its filters as CSV: at once when small, else a background job with a progress bar."""
    db = get_db()
    settings = current_app.extensions["container"].settings
    args = export.filter_args(request.form)
    if export.count(db, user(), args, _zone()) <= settings.background.inline_export_rows:
        found = export.at_once(db, actor(), args, _zone())
        db.commit()
        return csv_download("tickets.csv", export.HEADER, found)
    job = background.submit(db, actor(), export.KIND, {"filters": args, "zone": _zone()},
                            _("Ticket export (CSV)"))
    db.commit()
    return redirect(url_for("jobs.show", job_id=job.id), 303)


def _visible(number: str) -> Ticket:
    db = get_db()
    ticket = db.scalar(select(Ticket).where(Ticket.number == number)) if number.isdigit() else None
    if ticket is None:
        abort(404)
    if not visibility.can_see_ticket(db, user(), ticket.id):
        refuse("ticket", number)
    return ticket


def _timeline(calls: list[Call]) -> list[tuple[dt.datetime, str, Call]]:
    events = []
    for c in calls:
        for at, label in ((c.started_at, "ring"), (c.queued_at, "queue"), (c.answered_at, "answer"),
                          (c.transferred_at, "transfer"), (c.ended_at, "hangup")):
            if at is not None:
                events.append((at, label, c))
    return sorted(events, key=lambda e: e[0])


@bp.route("/<number>")
@roles_required(roles.EVERYONE)
def detail(number: str) -> ResponseReturnValue:
    db = get_db()
    ticket = _visible(number)
    calls = db.scalars(select(Call).where(or_(Call.ticket_id == ticket.id, Call.id == ticket.origin_call_id))
                       .order_by(Call.started_at)).all()
    submissions = db.execute(select(FormSubmission, FormDefinition)
                             .join(FormDefinition, FormDefinition.id == FormSubmission.form_id)
                             .where(FormSubmission.ticket_id == ticket.id)).all()
    user_ids = {c.actor_id for c in ticket.changes} | {n.author_id for n in ticket.notes} | {ticket.assignee_id}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(user_ids - {None})))}
    customer = db.get(Customer, ticket.customer_id) if ticket.customer_id else None
    can_edit = visibility.can_edit_ticket(db, user(), ticket.id)
    hearable = [r for c in calls for r in c.recordings
                if r.purged_at is None and visibility.can_hear(db, user(), r)]
    callbacks = db.scalars(select(Callback).where(
        Callback.ticket_id == ticket.id, Callback.status.in_((CallbackStatus.PENDING, CallbackStatus.DIALING)))
        .order_by(Callback.due_at)).all()
    assignable: list[User] = []
    if user().role in roles.MANAGERS:
        assignable = list(db.scalars(select(User).where(User.role.in_(roles.ASSIGNABLE), User.is_active)
                                     .order_by(User.username)))
    return render_template("tickets/detail.html", ticket=ticket, calls=calls, timeline=_timeline(list(calls)),
                           submissions=[(s, catalog.spec_of(d), d) for s, d in submissions], users=users,
                           customer=customer, can_edit=can_edit, recordings=hearable,
                           sla=sla_state(ticket), statuses=list(TicketStatus),
                           priorities=list(Priority), assignable=assignable, callbacks=callbacks,
                           can_dial=user().role in roles.DESK,
                           wrapup_codes=wrapups.by_code(db, {s.wrapup_code for s, _ in submissions if s.wrapup_code}))


def _editable(number: str) -> Ticket:
    ticket = _visible(number)
    if not visibility.can_edit_ticket(get_db(), user(), ticket.id):
        refuse("ticket", number)
    return ticket


@bp.route("/<number>/notes", methods=["POST"])
@roles_required(roles.DESK)
def add_note(number: str) -> ResponseReturnValue:
    db = get_db()
    ticket = _editable(number)
    try:
        _service().add_note(db, ticket, request.form.get("body", ""), actor(),
                            internal=request.form.get("public") != "on")
    except TicketError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("tickets.detail", number=number), 303)
    db.commit()
    return redirect(url_for("tickets.detail", number=number), 303)


@bp.route("/<number>/update", methods=["POST"])
@roles_required(roles.DESK)
def update(number: str) -> ResponseReturnValue:
    """Status and priority; assignment too, for supervisors, with a reason."""
    db = get_db()
    ticket = _editable(number)
    values: dict[str, TicketStatus | Priority] = {}
    status, priority = request.form.get("status"), request.form.get("priority")
    if status:
        if status not in {s.value for s in TicketStatus}:
            abort(400, "unknown status")
        values["status"] = TicketStatus(status)
    if priority:
        if priority not in {p.value for p in Priority}:
            abort(400, "unknown priority")
        values["priority"] = Priority(priority)
    reason = request.form.get("reason", "").strip()[:500]
    assignee = request.form.get("assignee_id", "")
    if assignee and user().role not in roles.MANAGERS:
        refuse("ticket", number)
    if assignee and not reason:
        flash(_("Say why you reassign the ticket."), "error")
        return redirect(url_for("tickets.detail", number=number), 303)
    service = _service()
    changed = service.change(db, ticket, actor(), reason=reason, **values)
    moved = False
    if assignee:
        if not assignee.isdigit():
            abort(400, "not someone who can take tickets")
        try:
            before = ticket.assignee_id
            service.reassign(db, ticket, int(assignee), actor(), reason)
            moved = ticket.assignee_id != before
        except TicketError as exc:
            db.rollback()
            abort(400, str(exc))
    db.commit()
    flash(_("Ticket updated.") if changed or moved else _("Nothing changed."), "success")
    return redirect(url_for("tickets.detail", number=number), 303)
