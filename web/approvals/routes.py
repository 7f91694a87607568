"""The approvals queue: what the user may decide (the ticket, the rule, its reason, the actions that wait,
in words), Approve or Reject with a comment; and the latest decisions.

The views call ``callcenter.automation.approvals.Approvals`` only: it runs the actions, audits, notes the
decision on the ticket and publishes it.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from callcenter.access import roles
from callcenter.automation.approvals import Approvals, may_decide
from callcenter.i18n import Refusal
from callcenter.models import Approval, ApprovalStatus, Role, Ticket, User

from .. import rule_words
from ..auth.access import actor, roles_required, user
from ..db import get_db
from ..messages import refusal

bp = Blueprint("approvals", __name__, url_prefix="/approvals")
DECIDED = 50  # recent decisions listed


def _service() -> Approvals:
    found: Approvals = current_app.extensions["container"].approvals
    return found


def pending_count() -> int:
    """Pending approvals the signed-in user may decide, for the badge in the top bar."""
    if not current_user.is_authenticated or current_user.role not in roles.REVIEWERS:
        return 0
    query = select(func.count()).select_from(Approval).where(Approval.status == ApprovalStatus.PENDING)
    if current_user.role is not Role.ADMIN:
        query = query.where(Approval.role == current_user.role.value)
    try:
        return get_db().scalar(query) or 0
    except SQLAlchemyError:  # the page (an error page) is shown without its badge rather than not at all
        return 0


def _page(errors: dict[int, str], status: int = 200) -> ResponseReturnValue:
    db, me = get_db(), user()
    pending = _service().queue(db, me, ApprovalStatus.PENDING)
    for approval_id, message in errors.items():
        if approval_id not in {a.id for a in pending}:
            flash(message, "error")  # decided meanwhile: its card is gone, say it on top
    decided = _service().queue(db, me, ApprovalStatus.APPROVED) + _service().queue(db, me, ApprovalStatus.REJECTED)
    decided = sorted(decided, key=lambda a: (a.decided_at or a.created_at, a.id), reverse=True)[:DECIDED]
    shown = {a.ticket_id for a in pending + decided}
    numbers: dict[int, str] = {}
    for ticket_id, number in db.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(shown))):
        numbers[ticket_id] = number
    deciders = {a.decided_by_id for a in decided if a.decided_by_id is not None}
    people = {u.id: u for u in db.scalars(select(User).where(User.id.in_(deciders)))}
    waiting: dict[int, Any] = {a.id: rule_words.stored_actions(a.actions) for a in pending}
    return render_template("approvals/index.html", pending=pending, decided=decided, numbers=numbers, people=people,
                           waiting=waiting, errors=errors, typed=request.form, may=lambda a: may_decide(me, a)), status


@bp.route("/")
@roles_required(roles.REVIEWERS)
def index() -> ResponseReturnValue:
    return _page({})


@bp.route("/<int:approval_id>", methods=["POST"])
@roles_required(roles.REVIEWERS)
def decide(approval_id: int) -> ResponseReturnValue:
    db = get_db()
    approval = db.get(Approval, approval_id)
    if approval is None:
        abort(404)
    decision = request.form.get("decision", "")
    if decision not in ("approve", "reject"):
        abort(400)
    try:
        _service().decide(db, approval, actor(), approve=decision == "approve",
                          comment=request.form.get("comment", "")[:1000])
    except Refusal as exc:
        db.rollback()
        return _page({approval_id: refusal(exc)}, 400)
    db.commit()
    flash(_("Approved: the waiting actions ran.") if decision == "approve" else
          _("Rejected: the waiting actions will not run."), "success")
    return redirect(url_for("approvals.index"), 303)
