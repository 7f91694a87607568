"""The calibration of the suggestions (supervisors and admins): how far the calibrated score can be trusted,
what a threshold would give, and a button that fits it again in the background."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import roles
from callcenter.knowledge import calibrating, calibration
from callcenter.knowledge.articles import KnowledgeError
from callcenter.models import BackgroundJob, Calibration, JobStatus, KnowledgeCategory

from ..auth.access import actor, roles_required, user
from ..db import get_db
from ..jobs.routes import _state as job_state
from ..messages import refusal
from .routes import bp


def nearest(table: list[list[float]], threshold: float) -> list[float] | None:
    """The row of the table (threshold, precision, coverage) nearest to ``threshold``."""
    return min(table, key=lambda r: (abs(r[0] - threshold), -r[0])) if table else None


def _job_to_show(job: BackgroundJob | None, row: Calibration | None) -> dict[str, Any] | None:
    """This person's calibration job while it runs, or its failure when nothing newer was fitted since."""
    if job is None:
        return None
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        return job_state(job)
    if job.status is JobStatus.FAILED and (row is None or job.finished_at is None or job.finished_at > row.at):
        return job_state(job)
    return None


@bp.route("/knowledge/calibration")
@roles_required(roles.MANAGERS)
def calibration_page() -> ResponseReturnValue:
    db = get_db()
    row = calibration.latest(db)
    default = float(current_app.extensions["container"].settings.knowledge.default_threshold)
    zh = str(get_locale()).startswith("zh")
    table = [list(r) for r in row.table] if row is not None else []
    categories = [{"key": c.key, "name": (c.name_zh if zh and c.name_zh else c.name_en), "threshold": c.threshold,
                   "auto_reply": c.auto_reply, "at": nearest(table, c.threshold)}
                  for c in db.scalars(select(KnowledgeCategory).order_by(KnowledgeCategory.key))]
    chart = {"curve": [list(p) for p in row.curve] if row is not None else [], "table": table,
             "categories": [{"name": c["name"], "threshold": c["threshold"]} for c in categories]}
    return render_template("admin/calibration.html", row=row, ready=calibrating.readiness(db), chart=chart,
                           categories=categories, default=default, at_default=nearest(table, default),
                           job=_job_to_show(calibrating.last_job(db, user().id), row))


@bp.route("/knowledge/calibration", methods=["POST"])
@roles_required(roles.MANAGERS)
def calibrate() -> ResponseReturnValue:
    """Fit again, in the background: the page shows its progress, then the new curve."""
    db = get_db()
    try:
        calibrating.submit(db, actor(), _("Calibrate the suggestions"))
    except KnowledgeError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("admin.calibration_page"), 303)
    db.commit()
    return redirect(url_for("admin.calibration_page"), 303)
