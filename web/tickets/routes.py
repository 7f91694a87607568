"""Tickets: the filtered list, the detail page with the call's story, and changes."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import roles, visibility
from callcenter.background import jobs as background
from callcenter.conversations import attachments
from callcenter.conversations.service import Conversations
from callcenter.customers.history import customer_history
from callcenter.forms import catalog
from callcenter.inputs.parsers import Args
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
from callcenter.tickets.deadlines import next_due, sla_state
from callcenter.tickets.service import TicketError, TicketService

from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db
from ..downloads import csv_download, private_file
from ..messages import refusal
from ..paging import rows_of
from ..query_args import note_ignored
from .problem_panel import panel as problem_panel
from .reply_form import reply_form

bp = Blueprint("tickets", __name__, url_prefix="/tickets")
PAGE = 50
DEFAULT_STATUS = "open_all"  # the list opens on the tickets that still owe the caller something


def _service() -> TicketService:
    service: TicketService = current_app.extensions["container"].tickets
    return service


def _conversations() -> Conversations:
    service: Conversations = current_app.extensions["container"].conversations
    return service


def _language() -> str:
    return str(get_locale() or "en")


def _zone() -> str:
    zone: str = current_app.extensions["container"].settings.timezone
    return zone


def _shown_filters() -> dict[str, str]:
    """The list's query string; no status means the open tickets (new, open, pending), "all" every status."""
    shown = request.args.to_dict()
    if "status" not in shown:
        shown["status"] = DEFAULT_STATUS
    elif shown["status"] in ("", "all"):
        del shown["status"]
    return shown


def _sort_links(sort: str | None, direction: str | None) -> dict[str, str]:
    """Each column header's link: sort by it (ascending first, then the other way), other filters kept
    (not ``_method`` and the like, which url_for would take for its own arguments)."""
    query: dict[str, Any] = request.args.to_dict(flat=False)
    kept = {k: v for k, v in query.items() if k not in ("page", "sort", "dir") and not k.startswith("_")}
    return {key: url_for("tickets.index", **kept, sort=key,
                         dir="desc" if key == sort and direction != "desc" else "asc") for key in queries.SORTS}


@bp.route("/")
@roles_required(roles.EVERYONE)
def index() -> ResponseReturnValue:
    db = get_db()
    shown = _shown_filters()
    read = Args(shown, strict=False)
    where = [visibility.ticket_clause(user()), *queries.filters(read, _zone(), user().id)]
    sort, direction = read.choice("sort", queries.SORTS), read.choice("dir", ("asc", "desc"))
    rows, page = rows_of(db, queries.ordered(select(Ticket).where(*where), sort, direction), read, PAGE)
    note_ignored(read)
    users = {u.id: u for u in db.scalars(select(User).where(
        User.id.in_({t.assignee_id for t in rows if t.assignee_id})))}
    customers = dict(db.execute(select(Customer.id, Customer.name).where(
        Customer.id.in_({t.customer_id for t in rows if t.customer_id}))).tuples().all())
    return render_template(
        "tickets/index.html", tickets=rows, total=page.total, page=page.number, pages=page.pages,
        users=users, customers=customers, queues=db.scalars(select(Queue).order_by(Queue.name)).all(),
        agents=db.scalars(select(User).where(User.role.in_(roles.ASSIGNABLE)).order_by(User.username)).all(),
        categories=sorted({f.category for f in catalog.active_forms(db)}), sla_state=sla_state, next_due=next_due,
        args=request.args, status=request.args.get("status", DEFAULT_STATUS), statuses=list(TicketStatus),
        priorities=list(Priority), sort=sort or queries.DEFAULT_SORT,
        direction=direction or ("asc" if sort else queries.DEFAULT_DIRECTION), sort_links=_sort_links(sort, direction),
        export_filters=export.filter_args(shown),
        templates=current_app.extensions["container"].templates.listing(db, active_only=True)
        if user().role in roles.DESK else [])


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
        return csv_download("tickets.csv", export.header(_language()), found)
    job = background.submit(db, actor(), export.KIND, {"filters": args, "zone": _zone(), "language": _language()},
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


def _call_steps(calls: list[Call]) -> dict[int, list[tuple[dt.datetime, str]]]:
    """Each call's steps (rang, queued, answered ...), shown inside its entry of the timeline."""
    steps: dict[int, list[tuple[dt.datetime, str]]] = {}
    for c in calls:
        for at, label in ((c.started_at, "ring"), (c.queued_at, "queue"), (c.answered_at, "answer"),
                          (c.transferred_at, "transfer"), (c.ended_at, "hangup")):
            if at is not None:
                steps.setdefault(c.id, []).append((at, label))
    return steps


@bp.route("/<number>")
@roles_required(roles.EVERYONE)
def detail(number: str) -> ResponseReturnValue:
    db = get_db()
    ticket = _visible(number)
    entries = _conversations().timeline(db, ticket, user())
    calls = [e.item for e in entries if isinstance(e.item, Call)]
    submissions = db.execute(select(FormSubmission, FormDefinition)
                             .join(FormDefinition, FormDefinition.id == FormSubmission.form_id)
                             .where(FormSubmission.ticket_id == ticket.id)).all()
    assigned = {int(v) for c in ticket.changes if c.field == "assignee_id"
                for v in (c.old_value, c.new_value) if v and v.isdigit()}
    authors = {getattr(e.item, "author_id", None) or getattr(e.item, "actor_id", None) for e in entries}
    user_ids = authors | {ticket.assignee_id} | assigned
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(user_ids - {None})))}
    customer = db.get(Customer, ticket.customer_id) if ticket.customer_id else None
    history = customer_history(db, customer.id, user(), except_ticket=ticket.id) if customer else None
    can_edit = visibility.can_edit_ticket(db, user(), ticket.id)
    callbacks = db.scalars(select(Callback).where(
        Callback.ticket_id == ticket.id, Callback.status.in_((CallbackStatus.PENDING, CallbackStatus.DIALING)))
        .order_by(Callback.due_at)).all()
    assignable: list[User] = []
    if user().role in roles.MANAGERS:
        assignable = list(db.scalars(select(User).where(User.role.in_(roles.ASSIGNABLE), User.is_active)
                                     .order_by(User.username)))
    return render_template("tickets/detail.html", ticket=ticket, calls=calls, entries=entries,
                           call_steps=_call_steps(calls), conversation=[e for e in entries if e.kind != "change"],
                           submissions=[(s, catalog.spec_of(d), d) for s, d in submissions], users=users,
                           customer=customer, can_edit=can_edit, sla=sla_state(ticket), statuses=list(TicketStatus),
                           priorities=list(Priority), assignable=assignable, callbacks=callbacks,
                           can_dial=user().role in roles.DESK,
                           history=history, problems=problem_panel(db, current_app.extensions["container"], ticket,
                                                                   user()),
                           reply=reply_form(db, ticket, customer) if can_edit else None)


@bp.route("/<number>/attachments/<int:attachment_id>")
@roles_required(roles.EVERYONE)
def attachment(number: str, attachment_id: int) -> ResponseReturnValue:
    """A message's file, by id only, to whoever may see its ticket; each download audited."""
    db = get_db()
    ticket = _visible(number)
    found = attachments.of_ticket(db, ticket.id, attachment_id)
    if found is None:
        abort(404)
    path = _conversations().store.file_for(found)
    if path is None:
        abort(410, "the file was not kept")
    attachments.downloaded(db, actor(), found, ticket.number)
    db.commit()
    return private_file(path, attachments.shown_type(found), found.filename)


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
        _conversations().add_internal_note(db, ticket, request.form.get("body", ""), actor())
    except TicketError as exc:
        db.rollback()
        flash(refusal(exc), "error")
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
            flash(refusal(exc), "error")
            return redirect(url_for("tickets.detail", number=number), 303)
    db.commit()
    flash(_("Ticket updated.") if changed or moved else _("Nothing changed."), "success")
    return redirect(url_for("tickets.detail", number=number), 303)
