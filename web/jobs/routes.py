"""A job's page (progress while it runs), its progress as JSON for the page's script, and an export's file."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import roles
from callcenter.background import jobs
from callcenter.models import BackgroundJob, BulkItem, BulkItemState, JobStatus, Ticket
from callcenter.problems import bulk

from .. import labels
from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db
from ..messages import say
from ..paging import rows_of
from ..query_args import note_ignored, page_args

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
PAGE = 50
FAILED_SHOWN = 500  # of a bulk job's failures, listed on its page


def _job(job_id: int) -> BackgroundJob:
    job = get_db().get(BackgroundJob, job_id)
    if job is None:
        abort(404)
    if not jobs.visible(job, user()):
        refuse("background_job", job_id)
    return job


def _state(job: BackgroundJob) -> dict[str, object]:
    said = job.result.get("said")
    why = say(str(said["msg"]), said.get("params")) if isinstance(said, dict) and said.get("msg") else \
        _("something went wrong on our side; it has been logged")
    messages = {JobStatus.QUEUED: _("Waiting for the background worker…"), JobStatus.RUNNING: _("Working…"),
                JobStatus.DONE: _("Done."), JobStatus.FAILED: _("Failed: %(why)s", why=why)}
    download = (url_for("jobs.download", job_id=job.id)
                if job.status is JobStatus.DONE and job.result.get("file") else None)
    return {"id": job.id, "status": job.status.value, "label": labels.code("job_kind", job.kind),
            "done": job.done, "total": job.total,
            "percent": jobs.percent(job), "message": messages[job.status], "result": job.result,
            "download": download}


@bp.route("/")
@roles_required(roles.EVERYONE)
def index() -> ResponseReturnValue:
    read = page_args()
    mine, page = rows_of(get_db(), select(BackgroundJob).where(BackgroundJob.requested_by_id == user().id)
                         .order_by(BackgroundJob.id.desc()), read, PAGE)
    note_ignored(read)
    return render_template("jobs/index.html", jobs=[(j, _state(j)) for j in mine], page=page)


@bp.route("/<int:job_id>")
@roles_required(roles.EVERYONE)
def show(job_id: int) -> ResponseReturnValue:
    job = _job(job_id)
    return render_template("jobs/show.html", job=job, state=_state(job), bulk=_bulk_outcome(job))


def _bulk_outcome(job: BackgroundJob) -> dict[str, object] | None:
    """A bulk job's counts and the tickets it could not change, each with why (in the reader's language)."""
    if job.kind != bulk.KIND:
        return None
    db = get_db()
    counts = bulk.BulkActions.counts(db, job.id)
    failed = db.execute(select(Ticket.number, BulkItem.reason_template, BulkItem.reason_params)
                        .join(Ticket, Ticket.id == BulkItem.ticket_id)
                        .where(BulkItem.job_id == job.id, BulkItem.state == BulkItemState.FAILED)
                        .order_by(BulkItem.id).limit(FAILED_SHOWN)).all()
    return {"counts": counts, "failed": [(n, say(t, p) if t else "") for n, t, p in failed],
            "can_cancel": job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and job.cancel_requested_at is None
            and job.requested_by_id == user().id}


@bp.route("/<int:job_id>/cancel", methods=["POST"])
@roles_required(roles.EVERYONE)
def cancel(job_id: int) -> ResponseReturnValue:
    """Its requester stops a bulk job; what was done stays done, the rest is skipped."""
    db = get_db()
    job = _job(job_id)
    if job.kind != bulk.KIND or job.requested_by_id != user().id:
        refuse("background_job", job_id)
    if current_app.extensions["container"].bulk_actions.cancel(db, actor(), job):
        flash(_("Cancelling: the tickets not reached yet are left as they are."), "success")
    db.commit()
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.route("/<int:job_id>.json")
@roles_required(roles.EVERYONE)
def progress(job_id: int) -> ResponseReturnValue:
    resp = jsonify(_state(_job(job_id)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/<int:job_id>/download")
@roles_required(roles.EVERYONE)
def download(job_id: int) -> ResponseReturnValue:
    db = get_db()
    job = _job(job_id)
    path = jobs.result_file(db, actor(), job, current_app.extensions["container"].settings.exports_dir())
    if path is None:
        abort(404)
    db.commit()
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=f"tickets-{job.id}.csv")
