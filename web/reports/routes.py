"""Reports: figures with their definitions, charts a supervisor reads at a glance, CSV of every table,
and the daily summary as a page (the same table the supervisors receive by e-mail)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, select

from callcenter import days
from callcenter.access import roles, visibility
from callcenter.config import Settings
from callcenter.models import Queue, Role, Team, User, utcnow
from callcenter.reporting import channels as by_channel
from callcenter.reporting import daily as summary
from callcenter.reporting import figures
from callcenter.reporting import mail as summary_mail
from callcenter.reporting.outcomes import no_ticket_reasons
from callcenter.reporting.presence import STATES, time_in_state
from callcenter.reporting.topics import recurring

from .. import labels
from ..auth.access import refuse, roles_required, user
from ..db import get_db
from ..downloads import csv_download
from ..query_args import note_ignored, page_args

bp = Blueprint("reports", __name__, url_prefix="/reports")
TABLES = ("csat_agent", "csat_queue", "csat_category", "volume", "topics", "presence", "no_ticket", "channels",
          "summary")
DEFAULT_DAYS = 7


def _settings() -> Settings:
    settings: Settings = current_app.extensions["container"].settings
    return settings


def _filter() -> figures.ReportFilter:
    """The period, queues, team and agent asked for, within the teams the viewer may read."""
    zone = _settings().timezone
    default = days.last_days(DEFAULT_DAYS, zone)
    read = page_args()
    f = figures.ReportFilter.of(days.between(read.day("from") or default.first, read.day("to") or default.last,
                                             zone))
    f.queue_ids = read.idents("queue")
    f.team_id, f.agent_id = read.ident("team"), read.ident("agent")
    note_ignored(read)
    f.scope = visibility.report_teams(get_db(), user())
    if f.team_id is not None and not visibility.can_see_team(get_db(), user(), f.team_id):
        refuse("team", f.team_id)
    if f.scope and f.team_id is None and user().team_id in f.scope:
        f.team_id = user().team_id  # a supervisor starts on their own team
    return f


def _data(f: figures.ReportFilter) -> dict[str, Any]:
    db = get_db()
    found = recurring(db, f, visibility.ticket_clause(user()))
    return {
        "summary": figures.summary(db, f),
        "csat_agent": figures.csat(db, f, "agent"),
        "csat_queue": figures.csat(db, f, "queue"),
        "csat_category": figures.csat(db, f, "category"),
        "volume": figures.volume_heatmap(db, f),
        "topics": [{"label": t.label, "size": t.size, "examples": [found.numbers.get(i) for i in t.examples]}
                   for t in found.topics],
        "topics_restricted": found.restricted,
        "presence": time_in_state(db, f),
        "no_ticket": [{"code": r.code, "label": r.label_in(str(get_locale())), "calls": r.calls}
                      for r in no_ticket_reasons(db, f)],
        "channels": [{**r, "label": labels.code("channel", r["channel"])} for r in by_channel.by_channel(db, f)],
    }


@bp.route("/")
@roles_required(roles.MANAGERS)
def index() -> ResponseReturnValue:
    db = get_db()
    f = _filter()
    zone = _settings().timezone
    presence = current_app.extensions["container"].presence
    reasons = {code: presence.reason_label(code, str(get_locale())) for code in presence.settings.pause_codes}
    return render_template(
        "reports/index.html", data=_data(f), f=f, args=request.args, reasons=reasons,
        start=days.local_date(f.start, zone).isoformat(),
        end=days.local_date(f.end - dt.timedelta(seconds=1), zone).isoformat(),
        queues=db.scalars(select(Queue).order_by(Queue.name)).all(),
        teams=db.scalars(_in_scope(select(Team).order_by(Team.name), Team.id, f)).all(),
        agents=db.scalars(_in_scope(select(User).where(User.role == Role.AGENT).order_by(User.username),
                                    User.team_id, f)).all())


def _in_scope(query: Select[Any], team: Any, f: figures.ReportFilter) -> Select[Any]:
    """The teams and agents a viewer may pick: those of the teams they may read."""
    return query if f.scope is None else query.where(team.in_(f.scope))


def _rows(name: str, data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    if name.startswith("csat_"):
        return ["group", "surveys", "mean_score", "satisfied_share"], [
            [r["key"], r["surveys"], r["mean"], r["satisfied"]] for r in data[name]]
    if name == "volume":
        weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return ["weekday", *[f"{h:02d}h" for h in range(24)]], [[weekdays[i], *row]
                                                                 for i, row in enumerate(data["volume"])]
    if name == "topics":
        rows = [[t["label"], t["size"], " ".join(filter(None, t["examples"]))] for t in data["topics"]]
        if data["topics_restricted"]:
            rows.append([_("restricted"), data["topics_restricted"], ""])
        return ["topic", "tickets", "examples"], rows
    if name == "presence":
        return ["agent", "signed_in_seconds", *[f"{s}_seconds" for s in STATES], "paused_by_reason"], [
            [r["agent"], r["signed_in"], *[r[s] for s in STATES],
             " ".join(f"{code}={secs}" for code, secs in sorted(r["reasons"].items()))] for r in data["presence"]]
    if name == "channels":
        return by_channel.csv_rows(data["channels"])
    if name == "no_ticket":
        return ["reason", "code", "calls"], [[r["label"], r["code"], r["calls"]] for r in data["no_ticket"]]
    flat = [[f"{group}.{key}", value] for group, values in data["summary"].items() for key, value in values.items()]
    return ["figure", "value"], flat


@bp.route("/export/<name>.csv")
@roles_required(roles.MANAGERS)
def export(name: str) -> ResponseReturnValue:
    if name not in TABLES:
        abort(404)
    header, rows = _rows(name, _data(_filter()))
    return csv_download(f"{name}.csv", header, rows)


@bp.route("/daily")
@roles_required(roles.MANAGERS)
def daily() -> ResponseReturnValue:
    zone = summary_mail.zone(_settings())
    error, status = None, 200
    day = summary.yesterday(utcnow(), zone)
    if request.args.get("date"):
        asked = days.parse(request.args["date"])
        if asked is None:
            error, status = _("Not a date: use YYYY-MM-DD. Showing yesterday."), 400
        else:
            day = asked
    built = summary.build(get_db(), day, zone)
    language = str(get_locale())  # the labels as the e-mail says them, in this reader's language
    return render_template("reports/daily.html", summary=built,
                           table=summary.table(built, summary.labels(language), language),
                           error=error), status
