"""Recurring issues for supervisors: the groups (``problems/recurring.py``), and "make this a problem ticket"."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles, visibility
from callcenter.problems.recurring import RecurringIssues
from callcenter.tickets.service import TicketError

from ..auth.access import actor, roles_required, user
from ..db import get_db
from ..messages import refusal

bp = Blueprint("problems", __name__, url_prefix="/problems")
MAX_IDS = 5000
SHOWN = 5  # tickets listed per group; the rest behind "more"


def _recurring() -> RecurringIssues:
    found: RecurringIssues = current_app.extensions["container"].recurring
    return found


@bp.route("/recurring")
@roles_required(roles.MANAGERS)
def recurring() -> ResponseReturnValue:
    """The groups among the tickets this supervisor may see."""
    db = get_db()
    groups = _recurring().find(db, visibility.ticket_clause(user()))
    return render_template("problems/recurring.html", groups=groups, shown=SHOWN,
                           days=_recurring().settings.cluster_days)


@bp.route("/recurring/problem", methods=["POST"])
@roles_required(roles.MANAGERS)
def make_problem() -> ResponseReturnValue:
    """A new problem ticket for one group: its open tickets this supervisor may change become incidents."""
    db = get_db()
    asked = [int(v) for v in request.form.getlist("ticket")[:MAX_IDS] if v.isdigit() and len(v) < 12]
    mine = [i for i in asked if visibility.can_edit_ticket(db, user(), i)]
    words = [w[:40] for w in request.form.getlist("word")[:8]]
    try:
        problem = _recurring().make_problem(db, actor(), mine, words)
    except TicketError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("problems.recurring"), 303)
    db.commit()
    flash(_("Problem ticket %(number)s made; %(n)s tickets linked to it.", number=problem.number,
            n=len(mine)), "success")
    return redirect(url_for("tickets.detail", number=problem.number) + "#problem", 303)
