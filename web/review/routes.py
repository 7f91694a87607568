"""Supervisor review: the team's calls beside their tickets, and what needs action."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from callcenter import days
from callcenter.access import roles, visibility
from callcenter.models import Call, Disposition, Ticket, User
from callcenter.tickets.deadlines import sla_clause, sla_state

from ..auth.access import roles_required, user
from ..db import get_db
from ..paging import rows_of
from ..query_args import note_ignored, page_args

bp = Blueprint("review", __name__, url_prefix="/review")
PAGE = 50
ABANDONED = (Disposition.ABANDONED_QUEUE, Disposition.ABANDONED_IVR)


@bp.route("/")
@roles_required(roles.MANAGERS)
def index() -> ResponseReturnValue:
    db = get_db()
    view = request.args.get("view", "all")
    visible = visibility.call_clause(user())
    where = [visible]
    if view == "no_ticket":
        where += [Call.ticket_id.is_(None), Call.disposition == Disposition.ANSWERED, Call.no_ticket_reason.is_(None)]
    elif view == "abandoned":
        where.append(Call.disposition.in_(ABANDONED))
    read = page_args()
    day = days.one(read.day("day"), current_app.extensions["container"].settings.timezone)
    where += day.clauses(Call.started_at)
    calls, page = rows_of(db, select(Call).where(*where).order_by(Call.started_at.desc(), Call.id.desc()), read, PAGE)
    note_ignored(read)
    agents = {u.id: u for u in db.scalars(select(User).where(User.id.in_({c.agent_id for c in calls} - {None})))}
    numbers = {t.id: t.number for t in db.scalars(select(Ticket).where(
        Ticket.id.in_({c.ticket_id for c in calls} - {None})))}
    visible_tickets = visibility.ticket_clause(user())
    sla_tickets = [*db.scalars(select(Ticket).where(visible_tickets, sla_clause("breached"))
                               .order_by(Ticket.resolution_due_at).limit(50)),
                   *db.scalars(select(Ticket).where(visible_tickets, sla_clause("near"))
                               .order_by(Ticket.resolution_due_at).limit(50))]
    counts = {
        "no_ticket": db.scalar(select(func.count()).select_from(Call).where(
            visible, Call.ticket_id.is_(None), Call.disposition == Disposition.ANSWERED,
            Call.no_ticket_reason.is_(None))) or 0,  # "no ticket needed" is an answer, not a call missing one
        "abandoned": db.scalar(select(func.count()).select_from(Call).where(
            visible, Call.disposition.in_(ABANDONED))) or 0,
    }
    return render_template("review/index.html", calls=calls, agents=agents, numbers=numbers, view=view,
                           sla_tickets=sla_tickets, sla_state=sla_state, counts=counts, page=page,
                           day=day.first.isoformat() if day.first else "")
