"""Keyword rules (admin, QA): phrases that tag calls and tickets, re-applicable to old transcripts."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from callcenter import audit
from callcenter.models import CallTag, KeywordRule, User
from callcenter.transcribe import keywords

from ..db import get_db
from ..auth.access import roles_required
from . import bp
from .scoring import EDITORS


def _form() -> dict[str, str]:
    f = request.form
    return {"name": f.get("name", ""), "phrases": f.get("phrases", ""), "tag": f.get("tag", ""),
            "scorecard_item": f.get("scorecard_item", ""), "mark": f.get("mark", "fail")}


@bp.route("/rules", methods=["GET", "POST"])
@roles_required(*EDITORS)
def rules():  # type: ignore[no-untyped-def]
    db = get_db()
    form = _form()
    if request.method == "POST":
        try:
            values = keywords.clean_rule(form["name"], form["phrases"].splitlines(), form["tag"],
                                         form["scorecard_item"], form["mark"])
        except keywords.RuleError as exc:
            flash(str(exc), "error")
        else:
            rule = KeywordRule(**values, created_by_id=current_user.id)
            db.add(rule)
            db.flush()
            audit.record(db, "keyword_rule_added", actor=current_user, object_type="keyword_rule",
                         object_id=rule.id, ip=request.remote_addr, tag=rule.tag, phrases=rule.phrases)
            db.commit()
            flash(_("Rule saved. Re-apply the rules to tag calls transcribed before."), "success")
            return redirect(url_for("qa.rules"), 303)
    counts = dict(db.execute(select(CallTag.rule_id, func.count()).group_by(CallTag.rule_id)).all())
    return render_template("qa/rules.html", rules=db.scalars(select(KeywordRule).order_by(KeywordRule.id)).all(),
                           counts=counts, form=form), (400 if request.method == "POST" else 200)


@bp.route("/rules/<int:rule_id>/toggle", methods=["POST"])
@roles_required(*EDITORS)
def toggle_rule(rule_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    rule = db.get(KeywordRule, rule_id)
    if rule is None:
        abort(404)
    rule.is_active = not rule.is_active
    audit.record(db, "keyword_rule_changed", actor=current_user, object_type="keyword_rule", object_id=rule_id,
                 ip=request.remote_addr, active=rule.is_active)
    db.commit()
    return redirect(url_for("qa.rules"), 303)


@bp.route("/rules/apply", methods=["POST"])
@roles_required(*EDITORS)
def apply_rules():  # type: ignore[no-untyped-def]
    db = get_db()
    added = keywords.reapply_all(db, actor=db.get(User, current_user.id))
    audit.record(db, "keyword_rules_applied", actor=current_user, object_type="keyword_rule",
                 ip=request.remote_addr, tags_added=added)
    db.commit()
    flash(_("Rules applied: %(n)s new tags.", n=added), "success")
    return redirect(url_for("qa.rules"), 303)
