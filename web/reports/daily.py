"""The daily summary as a page: the same table the supervisors receive by e-mail."""
from __future__ import annotations

import datetime as dt

from flask import current_app, get_template_attribute, render_template, request
from flask_babel import gettext as _

from callcenter import summary, summary_mail
from callcenter.models import Role, utcnow

from ..auth.access import roles_required
from ..db import get_db
from . import bp


@bp.route("/daily")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def daily():  # type: ignore[no-untyped-def]
    zone = summary_mail.zone(current_app.extensions["container"].settings)
    error, status = None, 200
    day = summary.yesterday(utcnow(), zone)
    if request.args.get("date"):
        try:
            day = dt.date.fromisoformat(request.args["date"][:10])
        except ValueError:
            error, status = _("Not a date: use YYYY-MM-DD. Showing yesterday."), 400
    built = summary.build(get_db(), day, zone)
    labels = get_template_attribute(summary.LABELS_TEMPLATE, "labels")
    return render_template("reports/daily.html", summary=built, table=summary.table(built, labels),
                           error=error), status
