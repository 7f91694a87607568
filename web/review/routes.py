"""Supervisor review: the team's calls beside their tickets, and what needs action."""
from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from callcenter import tickets, visibility
from callcenter.models import Call, Disposition, Role, Ticket, User

from ..auth.access import roles_required
from ..db import get_db
from . import bp

ABANDONED = (Disposition.ABANDONED_QUEUE, Disposition.ABANDONED_IVR)


@bp.route("/")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    db = get_db()
    view = request.args.get("view", "all")
    where = [visibility.call_clause(current_user)]
    if view == "no_ticket":
        where += [Call.ticket_id.is_(None), Call.disposition == Disposition.ANSWERED]
    elif view == "abandoned":
        where.append(Call.disposition.in_(ABANDONED))
    try:
        day = dt.date.fromisoformat(request.args.get("day", ""))
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
        where += [Call.started_at >= start, Call.started_at < start + dt.timedelta(days=1)]
    except ValueError:
        pass
    calls = db.scalars(select(Call).where(*where).order_by(Call.started_at.desc()).limit(200)).all()
    agents = {u.id: u for u in db.scalars(select(User).where(User.id.in_({c.agent_id for c in calls} - {None})))}
    numbers = {t.id: t.number for t in db.scalars(select(Ticket).where(
        Ticket.id.in_({c.ticket_id for c in calls} - {None})))}
    visible_tickets = visibility.ticket_clause(current_user)
    sla_tickets = db.scalars(select(Ticket).where(visible_tickets, tickets.sla_clause("breached"))
                             .order_by(Ticket.resolution_due_at).limit(50)).all() + \
        db.scalars(select(Ticket).where(visible_tickets, tickets.sla_clause("near"))
                   .order_by(Ticket.resolution_due_at).limit(50)).all()
    counts = {
        "no_ticket": db.scalar(select(func.count()).select_from(Call).where(
            visibility.call_clause(current_user), Call.ticket_id.is_(None),
            Call.disposition == Disposition.ANSWERED)) or 0,
        "abandoned": db.scalar(select(func.count()).select_from(Call).where(
            visibility.call_clause(current_user), Call.disposition.in_(ABANDONED))) or 0,
    }
    return render_template("review/index.html", calls=calls, agents=agents, numbers=numbers, view=view,
                           sla_tickets=sla_tickets, sla_state=tickets.sla_state, counts=counts,
                           day=request.args.get("day", ""))
