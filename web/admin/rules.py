"""Automation rules in the admin pages: the list in the order rules run, the last runs, and the TOML
editor beside the rule said in plain words (checked as the admin types, nothing saved until a save).

The views call ``callcenter.automation.rules.Rules`` only: it checks, audits and publishes.
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from callcenter.access import roles
from callcenter.automation.rules import STARTER, RuleError, Rules, check
from callcenter.automation.schema import RuleSpec
from callcenter.forms.checks import Problem
from callcenter.i18n import Refusal
from callcenter.models import AutomationRule, AutomationRun, Ticket

from .. import rule_words
from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import refusal
from .pages import row_or_404
from .routes import bp

RUNS = 50  # runs listed under the rules


def _service() -> Rules:
    found: Rules = current_app.extensions["container"].rules
    return found


def _problems(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"line": p.line, "column": p.column, "message": refusal(p.refusal)} for p in problems]


def _preview(spec: RuleSpec | None) -> Markup:
    if spec is None:
        return Markup("")
    return Markup(render_template("admin/_rule_preview.html", rule=rule_words.rule(spec)))


def _ordered() -> list[AutomationRule]:
    return list(get_db().scalars(select(AutomationRule).order_by(AutomationRule.position, AutomationRule.id)))


def _runs() -> list[tuple[AutomationRun, str, str | None]]:
    query = (select(AutomationRun, AutomationRule.name, Ticket.number)
             .join(AutomationRule, AutomationRule.id == AutomationRun.rule_id)
             .outerjoin(Ticket, Ticket.id == AutomationRun.ticket_id)
             .order_by(AutomationRun.id.desc()).limit(RUNS))
    return [(run, name, number) for run, name, number in get_db().execute(query)]


@bp.route("/rules")
@roles_required(roles.ADMINS)
def rules_page() -> ResponseReturnValue:
    return render_template("admin/rules.html", rules=_ordered(), runs=_runs(), rule_when=rule_words.when)


@bp.route("/rules/new", methods=["GET", "POST"])
@roles_required(roles.ADMINS)
def new_rule() -> ResponseReturnValue:
    return _edit(None)


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@roles_required(roles.ADMINS)
def edit_rule(rule_id: int) -> ResponseReturnValue:
    return _edit(row_or_404(AutomationRule, rule_id))


def _edit(rule: AutomationRule | None) -> ResponseReturnValue:
    db = get_db()
    if request.method == "GET":
        text = rule.definition if rule is not None else STARTER
        spec, problems = check(db, text)
        return _editor(rule, text, problems, spec)
    text = request.form.get("definition", "")[:100_000]
    try:
        saved = _service().save(db, actor(), text, rule)
    except RuleError as exc:
        db.rollback()
        return _editor(rule, text, exc.problems, None, 400)
    except Refusal as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return _editor(rule, text, [], None, 400)
    db.commit()
    flash(_("Rule saved."), "success")
    return redirect(url_for("admin.edit_rule", rule_id=saved.id), 303)


def _editor(rule: AutomationRule | None, text: str, problems: list[Problem], spec: RuleSpec | None,
            status: int = 200) -> ResponseReturnValue:
    said = _problems(problems)
    bad: dict[int, str] = {}
    for p in said:
        bad.setdefault(p["line"], p["message"])  # beside a line: its first problem
    return render_template("admin/rule_edit.html", rule=rule, text=text, lines=text.count("\n") + 1,
                           problems=said, bad=bad, preview=_preview(spec)), status


@bp.route("/rules/preview", methods=["POST"])
@roles_required(roles.ADMINS)
def preview_rule() -> ResponseReturnValue:
    """Check the text as typed and say it in words (nothing is saved); always 200 when the check ran."""
    data = request.get_json(silent=True)
    text = (data if isinstance(data, dict) else request.values).get("definition")
    spec, problems = check(get_db(), text if isinstance(text, str) else "")
    if spec is None:
        return jsonify(valid=False, problems=_problems(problems))
    return jsonify(valid=True, problems=[], preview=_preview(spec))


def _changed(work: Any, message: str) -> ResponseReturnValue:
    db = get_db()
    try:
        work()
        db.commit()
        flash(message, "success")
    except Refusal as exc:
        db.rollback()
        flash(refusal(exc), "error")
    return redirect(url_for("admin.rules_page"), 303)


@bp.route("/rules/<int:rule_id>/active", methods=["POST"])
@roles_required(roles.ADMINS)
def rule_active(rule_id: int) -> ResponseReturnValue:
    rule = row_or_404(AutomationRule, rule_id)
    active = request.form.get("active", "")
    if active not in ("0", "1"):
        abort(400)
    return _changed(lambda: _service().set_active(get_db(), actor(), rule, active == "1"),
                    _("The rule runs again.") if active == "1" else _("The rule no longer runs."))


@bp.route("/rules/<int:rule_id>/move", methods=["POST"])
@roles_required(roles.ADMINS)
def move_rule(rule_id: int) -> ResponseReturnValue:
    rule = row_or_404(AutomationRule, rule_id)
    step = request.form.get("step", "")
    if step not in ("-1", "1"):
        abort(400)
    return _changed(lambda: _service().move(get_db(), actor(), rule, int(step)), _("Rule moved."))


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
@roles_required(roles.ADMINS)
def delete_rule(rule_id: int) -> ResponseReturnValue:
    rule = row_or_404(AutomationRule, rule_id)
    return _changed(lambda: _service().delete(get_db(), actor(), rule), _("Rule deleted."))
