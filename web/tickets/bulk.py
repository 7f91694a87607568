"""Bulk actions from the ticket list: the ticked rows, or every ticket the list's filters match on all its pages.

The job (``problems.bulk``) runs in the background; its page shows the progress bar, what failed and why, and a
cancel.  Works without the page's script: each action has its own value field.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles
from callcenter.i18n import Refusal
from callcenter.problems.bulk import BulkActions
from callcenter.tickets import export, queries

from ..auth.access import actor, roles_required, user
from ..db import get_db
from ..messages import refusal
from .routes import _zone, bp

# The form field holding each action's value.
VALUE_FIELDS = {"status": "status_value", "priority": "priority_value", "tag": "tag_value",
                "assign": "assignee_value", "reply": "template_value", "link": "problem_value", "close": ""}


def _bulk() -> BulkActions:
    found: BulkActions = current_app.extensions["container"].bulk_actions
    return found


@bp.route("/bulk", methods=["POST"])
@roles_required(roles.DESK)
def bulk() -> ResponseReturnValue:
    db = get_db()
    form = request.form
    action = form.get("action", "")
    field = VALUE_FIELDS.get(action, "")
    value = (form.get(field, "") if field else "")[:100]
    filters = export.filter_args(form)
    back = url_for("tickets.index") + ("?" + urlencode(filters) if filters else "")
    try:
        if form.get("scope") == "all":
            job = _bulk().submit(db, actor(), action=action, value=value,
                                 matching=queries.filters(filters, _zone(), user().id),
                                 label=_("Bulk change of tickets"))
        else:
            picked = [int(v) for v in form.getlist("ticket") if v.isdigit() and len(v) < 10]
            job = _bulk().submit(db, actor(), action=action, value=value, selection=picked,
                                 label=_("Bulk change of tickets"))
    except Refusal as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(back, 303)
    db.commit()
    return redirect(url_for("jobs.show", job_id=job.id), 303)
