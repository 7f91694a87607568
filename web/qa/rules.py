"""Keyword rules (admin, QA): phrases that tag calls and tickets, re-applicable to old transcripts."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from callcenter.access import roles
from callcenter.background import jobs as background
from callcenter.models import CallTag, KeywordRule
from callcenter.qa import rules as keyword_rules

from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import refusal

bp = Blueprint("qa_rules", __name__, url_prefix="/qa/rules")


def _form() -> dict[str, str]:
    f = request.form
    return {"name": f.get("name", ""), "phrases": f.get("phrases", ""), "tag": f.get("tag", ""),
            "scorecard_item": f.get("scorecard_item", ""), "mark": f.get("mark", "fail")}


@bp.route("", methods=["GET", "POST"])
@roles_required(roles.QA_EDITORS)
def rules() -> ResponseReturnValue:
    db = get_db()
    form = _form()
    if request.method == "POST":
        try:
            values = keyword_rules.clean_rule(form["name"], form["phrases"].splitlines(), form["tag"],
                                              form["scorecard_item"], form["mark"])
        except keyword_rules.RuleError as exc:
            flash(refusal(exc), "error")
        else:
            try:
                keyword_rules.add_rule(db, actor(), values)
            except keyword_rules.RuleError as exc:
                flash(refusal(exc), "error")
            else:
                db.commit()
                flash(_("Rule saved. Re-apply the rules to tag calls transcribed before."), "success")
                return redirect(url_for("qa_rules.rules"), 303)
    counts = dict(db.execute(select(CallTag.rule_id, func.count()).group_by(CallTag.rule_id)).tuples().all())
    return render_template("qa/rules.html", rules=db.scalars(select(KeywordRule).order_by(KeywordRule.id)).all(),
                           counts=counts, form=form), (400 if request.method == "POST" else 200)


@bp.route("/<int:rule_id>/toggle", methods=["POST"])
@roles_required(roles.QA_EDITORS)
def toggle_rule(rule_id: int) -> ResponseReturnValue:
    db = get_db()
    try:
        if keyword_rules.toggle_rule(db, actor(), rule_id) is None:
            abort(404)
    except keyword_rules.RuleError as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("qa_rules.rules"), 303)
    db.commit()
    return redirect(url_for("qa_rules.rules"), 303)


@bp.route("/apply", methods=["POST"])
@roles_required(roles.QA_EDITORS)
def apply_rules() -> ResponseReturnValue:
    """Re-applying every rule to every transcript is long: a background job with its progress page."""
    db = get_db()
    job = background.submit(db, actor(), keyword_rules.REAPPLY, {}, _("Re-apply the keyword rules"))
    db.commit()
    return redirect(url_for("jobs.show", job_id=job.id), 303)
