"""The knowledge base's report (supervisors, admins and QA): deflection, articles used and refused, and the
questions nothing answered, under the same period and team filter as the other reports, with CSV of each table."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import select

from callcenter import days
from callcenter.access import roles, visibility
from callcenter.config import Settings
from callcenter.models import Queue, Team
from callcenter.reporting import figures
from callcenter.reporting import knowledge as report

from ..auth.access import roles_required, user
from ..db import get_db
from ..downloads import csv_download
from .routes import _filter, _in_scope, bp


def _settings() -> Settings:
    settings: Settings = current_app.extensions["container"].settings
    return settings


def _data(f: figures.ReportFilter) -> dict[str, Any]:
    db, settings = get_db(), _settings()
    scope = report.Scope(db, f, report.category_queues(settings.ivr.menu))
    locale = "zh" if str(get_locale()).startswith("zh") else "en"
    return {"deflection": report.deflection(db, f, scope), "articles": report.articles(db, f, scope, locale),
            "gaps": report.gaps(db, f, visibility.ticket_clause(user()), settings.knowledge.gap_below)}


@bp.route("/knowledge")
@roles_required(roles.REVIEWERS)
def knowledge() -> ResponseReturnValue:
    db = get_db()
    f = _filter()
    zone = _settings().timezone
    return render_template(
        "reports/knowledge.html", data=_data(f), f=f, args=request.args,
        start=days.local_date(f.start, zone).isoformat(),
        end=days.local_date(f.end - dt.timedelta(seconds=1), zone).isoformat(),
        queues=db.scalars(select(Queue).order_by(Queue.name)).all(),
        teams=db.scalars(_in_scope(select(Team).order_by(Team.name), Team.id, f)).all())


@bp.route("/knowledge/export/<name>.csv")
@roles_required(roles.REVIEWERS)
def knowledge_export(name: str) -> ResponseReturnValue:
    if name not in report.TABLES:
        abort(404)
    header, rows = report.csv_rows(name, _data(_filter()))
    return csv_download(f"knowledge-{name}.csv", header, rows)
