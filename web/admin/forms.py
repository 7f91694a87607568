"""The forms editor: the TOML text beside a live preview of the form as the desk shows it.

The preview endpoint parses and validates without saving; a save stores a
new version only when the text is valid (``callcenter.forms.editing``).
Problems are said in the admin's language, each on its line; the preview
in the language the admin picks.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from callcenter.access import roles
from callcenter.forms import catalog, editing
from callcenter.forms.checks import Problem, check
from callcenter.forms.schema import FormSpec
from callcenter.i18n import Refusal
from callcenter.models import FormDefinition

from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import field_errors, refusal
from .routes import bp

LANGUAGES = ("en", "zh")


def _problems(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"line": p.line, "column": p.column, "message": refusal(p.refusal)} for p in problems]


def _preview(spec: FormSpec, lang: str) -> Markup:
    """The form as the desk renders it, labels and UI words in ``lang``."""
    with force_locale(lang):
        return Markup(render_template("admin/_form_preview.html", spec=spec, zh=lang == "zh"))


def _asked() -> Any:
    """The request's values: a JSON object (the editor's script) or form fields."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else request.values


def _lang() -> str:
    asked = str(_asked().get("lang", ""))
    return asked if asked in LANGUAGES else ("zh" if str(get_locale()) == "zh" else "en")


def _current(slug: str) -> FormDefinition:
    row = catalog.latest(get_db(), slug)
    if row is None:
        abort(404)
    return row


@bp.route("/forms", methods=["GET", "POST"])
@roles_required(roles.ADMINS)
def forms() -> ResponseReturnValue:
    """Every form (in use or not), and a new one from the starter text or a copy."""
    db = get_db()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            row = editing.create(db, request.form.get("slug", "")[:80], request.form.get("title", "")[:400],
                                 request.form.get("template", editing.STARTER)[:80], actor())
            db.commit()
            flash(_("Form %(slug)s created. It is not in use until you activate it.", slug=row.slug), "success")
            return redirect(url_for("admin.edit_form", slug=row.slug), 303)
        except Refusal as exc:
            db.rollback()
            errors = field_errors({exc.field or "slug": exc})
    return render_template("admin/forms.html", forms=catalog.every_form(db), errors=errors,
                           values=request.form, starter=editing.STARTER), (400 if errors else 200)


@bp.route("/forms/<slug>", methods=["GET", "POST"])
@roles_required(roles.ADMINS)
def edit_form(slug: str) -> ResponseReturnValue:
    db = get_db()
    current = _current(slug)
    if request.method == "GET":
        text = catalog.to_toml(current)
        checked = check(text, slug=slug, editor=True)
        return _editor(current, text, checked.problems, catalog.spec_of(current))
    text = request.form.get("definition", "")
    try:
        row = editing.save(db, slug, text, actor())
    except catalog.FormDefinitionError as exc:
        db.rollback()
        return _editor(current, text, exc.problems, catalog.spec_of(current), 400)
    db.commit()
    flash(_("Saved as version %(v)s.", v=row.version), "success")
    return redirect(url_for("admin.edit_form", slug=slug), 303)


def _editor(current: FormDefinition, text: str, problems: list[Problem], spec: FormSpec,
            status: int = 200) -> ResponseReturnValue:
    lang, said = _lang(), _problems(problems)
    bad: dict[int, str] = {}
    for p in said:
        bad.setdefault(p["line"], p["message"])  # beside a line: its first problem
    return render_template("admin/form_edit.html", form=current, text=text, lines=text.count("\n") + 1,
                           problems=said, bad=bad, preview=_preview(spec, lang), lang=lang), status


@bp.route("/forms/<slug>/preview", methods=["POST"])
@roles_required(roles.ADMINS)
def preview_form(slug: str) -> ResponseReturnValue:
    """Check the text as typed and render it (nothing is saved).

    Always 200 when the check ran (``valid`` says how it went): a browser logs every 4xx as an error,
    and a half-typed text is no error of the page."""
    _current(slug)
    text = _asked().get("definition")
    checked = check(text if isinstance(text, str) else "", slug=slug, editor=True)
    if checked.spec is None:
        return jsonify(valid=False, problems=_problems(checked.problems))
    return jsonify(valid=True, problems=[], preview=_preview(checked.spec, _lang()))


@bp.route("/forms/<slug>/active", methods=["POST"])
@roles_required(roles.ADMINS)
def form_active(slug: str) -> ResponseReturnValue:
    db = get_db()
    _current(slug)
    active = request.form.get("active", "")
    if active not in ("0", "1"):
        abort(400)
    try:
        editing.set_active(db, slug, active == "1", actor())
        db.commit()
        flash(_("The desk offers this form again.") if active == "1" else
              _("The desk no longer offers this form; tickets filed with it keep it."), "success")
    except Refusal as exc:
        db.rollback()
        flash(refusal(exc), "error")
    return redirect(url_for("admin.edit_form", slug=slug), 303)
