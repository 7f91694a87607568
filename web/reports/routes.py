"""Reports: figures with their definitions, charts a supervisor reads at a glance, CSV of every table."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from callcenter import reports
from callcenter.models import Queue, Role, Team, Ticket, User
from callcenter.topics import cluster

from ..auth.access import roles_required
from ..db import get_db
from . import bp

TABLES = ("csat_agent", "csat_queue", "csat_category", "volume", "topics", "summary")


def _filter() -> reports.ReportFilter:
    tz = current_app.extensions["container"].settings.timezone
    today = dt.datetime.now(dt.timezone.utc).date()
    try:
        start = dt.date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = today - dt.timedelta(days=6)
    try:
        end = dt.date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    if end < start:
        start, end = end, start
    f = reports.day_filter(start, tz)
    f.end = reports.day_filter(end, tz).end
    f.queue_ids = [int(q) for q in request.args.getlist("queue") if q.isdigit()]
    team, agent = request.args.get("team", ""), request.args.get("agent", "")
    f.team_id = int(team) if team.isdigit() else None
    f.agent_id = int(agent) if agent.isdigit() else None
    if current_user.role is Role.SUPERVISOR and f.team_id is None and current_user.team_id is not None:
        f.team_id = current_user.team_id  # a supervisor starts on their own team
    return f


def _data(f: reports.ReportFilter) -> dict[str, Any]:
    db = get_db()
    texts = [(t.id, t.subject) for t in db.scalars(f.tickets(select(Ticket)).limit(5000))]
    topics = cluster(texts)
    numbers = dict(db.execute(select(Ticket.id, Ticket.number).where(
        Ticket.id.in_([i for t in topics for i in t.examples]))).all())
    return {
        "summary": reports.summary(db, f),
        "csat_agent": reports.csat(db, f, "agent"),
        "csat_queue": reports.csat(db, f, "queue"),
        "csat_category": reports.csat(db, f, "category"),
        "volume": reports.volume_heatmap(db, f),
        "topics": [{"label": t.label, "size": t.size, "examples": [numbers.get(i) for i in t.examples]}
                   for t in topics],
    }


@bp.route("/")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    db = get_db()
    f = _filter()
    return render_template(
        "reports/index.html", data=_data(f), f=f, args=request.args,
        start=f.start.date().isoformat(), end=(f.end - dt.timedelta(seconds=1)).date().isoformat(),
        queues=db.scalars(select(Queue).order_by(Queue.name)).all(),
        teams=db.scalars(select(Team).order_by(Team.name)).all(),
        agents=db.scalars(select(User).where(User.role == Role.AGENT).order_by(User.username)).all())


def _rows(name: str, data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    if name.startswith("csat_"):
        return ["group", "surveys", "mean_score", "satisfied_share"], [
            [r["key"], r["surveys"], r["mean"], r["satisfied"]] for r in data[name]]
    if name == "volume":
        days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return ["weekday", *[f"{h:02d}h" for h in range(24)]], [[days[i], *row] for i, row in enumerate(data["volume"])]
    if name == "topics":
        return ["topic", "tickets", "examples"], [[t["label"], t["size"], " ".join(filter(None, t["examples"]))]
                                                  for t in data["topics"]]
    flat = [[f"{group}.{key}", value] for group, figures in data["summary"].items() for key, value in figures.items()]
    return ["figure", "value"], flat


@bp.route("/export/<name>.csv")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def export(name: str):  # type: ignore[no-untyped-def]
    if name not in TABLES:
        abort(404)
    header, rows = _rows(name, _data(_filter()))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        # Spreadsheet formula injection: a cell must never start with = + - @.
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})
