"""Tickets: the filtered list, the detail page with the call's story, and changes."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from callcenter import audit, tickets, visibility
from callcenter.forms import catalog
from callcenter.models import (
    Call, Customer, CustomerPhone, FormDefinition, FormSubmission, Priority, Queue, Role, Ticket,
    TicketStatus, User,
)

from ..auth.access import roles_required
from ..db import get_db
from . import bp

ALL_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.QA, Role.ADMIN)
PAGE = 50


def _filters(args):  # type: ignore[no-untyped-def]
    """Each filter the list offers, as WHERE clauses; bad values are ignored, never fatal."""
    clauses = []
    if args.get("status") in {s.value for s in TicketStatus}:
        clauses.append(Ticket.status == TicketStatus(args["status"]))
    elif args.get("status") == "open_all":
        clauses.append(Ticket.status.in_(tickets.OPEN_STATUSES))
    if args.get("priority") in {p.value for p in Priority}:
        clauses.append(Ticket.priority == Priority(args["priority"]))
    if args.get("queue", "").isdigit():
        clauses.append(Ticket.queue_id == int(args["queue"]))
    if args.get("category"):
        clauses.append(Ticket.category == args["category"][:80])
    if args.get("assignee") == "me":
        clauses.append(Ticket.assignee_id == current_user.id)
    elif args.get("assignee") == "none":
        clauses.append(Ticket.assignee_id.is_(None))
    elif args.get("assignee", "").isdigit():
        clauses.append(Ticket.assignee_id == int(args["assignee"]))
    if args.get("sla") in ("breached", "near", "ok", "paused", "none"):
        clauses.append(tickets.sla_clause(args["sla"]))
    for key, op in (("from", "ge"), ("to", "lt")):
        try:
            day = dt.date.fromisoformat(args.get(key, ""))
        except ValueError:
            continue
        at = dt.datetime.combine(day + dt.timedelta(days=1 if key == "to" else 0), dt.time(),
                                 tzinfo=dt.timezone.utc)
        clauses.append(Ticket.created_at >= at if op == "ge" else Ticket.created_at < at)
    q = args.get("q", "").strip()[:100]
    if q:
        like = f"%{q}%"
        phones = select(CustomerPhone.customer_id).where(CustomerPhone.number.like(like))
        names = select(Customer.id).where(Customer.name.ilike(like))
        clauses.append(or_(Ticket.number == q, Ticket.subject.ilike(like), Ticket.description.ilike(like),
                           Ticket.customer_id.in_(phones), Ticket.customer_id.in_(names)))
    return clauses


@bp.route("/")
@roles_required(*ALL_ROLES)
def index():  # type: ignore[no-untyped-def]
    db = get_db()
    where = [visibility.ticket_clause(current_user), *_filters(request.args)]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0
    rows = db.scalars(select(Ticket).where(*where).order_by(Ticket.created_at.desc())
                      .offset((page - 1) * PAGE).limit(PAGE)).all()
    users = {u.id: u for u in db.scalars(select(User).where(
        User.id.in_({t.assignee_id for t in rows if t.assignee_id})))}
    return render_template(
        "tickets/index.html", tickets=rows, total=total, page=page, pages=max(1, -(-total // PAGE)),
        users=users, queues=db.scalars(select(Queue).order_by(Queue.name)).all(),
        agents=db.scalars(select(User).where(User.role.in_((Role.AGENT, Role.SUPERVISOR)))
                          .order_by(User.username)).all(),
        categories=sorted({f.category for f in catalog.active_forms(db)}),
        sla_state=tickets.sla_state, args=request.args, statuses=list(TicketStatus),
        priorities=list(Priority))


def _visible(number: str) -> Ticket:
    db = get_db()
    ticket = db.scalar(select(Ticket).where(Ticket.number == number)) if number.isdigit() else None
    if ticket is None:
        abort(404)
    if not visibility.can_see_ticket(db, current_user, ticket.id):
        audit.record(db, "access_denied", actor=current_user, object_type="ticket", object_id=number,
                     ip=request.remote_addr, outcome="denied")
        db.commit()
        abort(403)
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
@roles_required(*ALL_ROLES)
def detail(number: str):  # type: ignore[no-untyped-def]
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
    can_edit = visibility.can_edit_ticket(db, current_user, ticket.id)
    hearable = [r for c in calls for r in c.recordings
                if r.purged_at is None and visibility.can_hear(db, current_user, r)]
    assignable = []
    if current_user.role in (Role.SUPERVISOR, Role.ADMIN):
        assignable = db.scalars(select(User).where(User.role.in_((Role.AGENT, Role.SUPERVISOR)),
                                                   User.is_active).order_by(User.username)).all()
    return render_template("tickets/detail.html", ticket=ticket, calls=calls, timeline=_timeline(list(calls)),
                           submissions=[(s, catalog.spec_of(d), d) for s, d in submissions], users=users,
                           customer=customer, can_edit=can_edit, recordings=hearable,
                           sla=tickets.sla_state(ticket), statuses=list(TicketStatus),
                           priorities=list(Priority), assignable=assignable)


def _editable(number: str) -> Ticket:
    ticket = _visible(number)
    if not visibility.can_edit_ticket(get_db(), current_user, ticket.id):
        abort(403)
    return ticket


@bp.route("/<number>/notes", methods=["POST"])
@roles_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
def add_note(number: str):  # type: ignore[no-untyped-def]
    db = get_db()
    ticket = _editable(number)
    try:
        tickets.add_note(db, ticket, request.form.get("body", ""), author=db.get(User, current_user.id),
                         internal=request.form.get("public") != "on")
    except tickets.TicketError as exc:
        flash(str(exc), "error")
        return redirect(url_for("tickets.detail", number=number)), 303
    audit.record(db, "ticket_note_added", actor=current_user, object_type="ticket", object_id=number,
                 ip=request.remote_addr)
    db.commit()
    return redirect(url_for("tickets.detail", number=number), 303)


@bp.route("/<number>/update", methods=["POST"])
@roles_required(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
def update(number: str):  # type: ignore[no-untyped-def]
    """Status and priority; assignment too, for supervisors, with a reason."""
    db = get_db()
    ticket = _editable(number)
    values = {}
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
    if assignee:
        if current_user.role not in (Role.SUPERVISOR, Role.ADMIN):
            abort(403)
        if not reason:
            flash(_("Say why you reassign the ticket."), "error")
            return redirect(url_for("tickets.detail", number=number), 303)
        target = db.get(User, int(assignee)) if assignee.isdigit() else None
        if target is None or target.role not in (Role.AGENT, Role.SUPERVISOR) or not target.is_active:
            abort(400, "not someone who can take tickets")
        values["assignee_id"] = target.id
    changed = tickets.change(db, ticket, actor=db.get(User, current_user.id), reason=reason, **values)
    if changed:
        audit.record(db, "ticket_changed", actor=current_user, object_type="ticket", object_id=number,
                     ip=request.remote_addr, fields=[c.field for c in changed])
        current_app.extensions["container"].bus.publish(
            "ticket_updated", {"ticket_id": ticket.id, "number": ticket.number,
                               "fields": [c.field for c in changed]}, session=db)
    db.commit()
    flash(_("Ticket updated.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("tickets.detail", number=number), 303)
