"""Scorecards: the editor (admin, QA); each save is a new version, old reviews keep theirs.

Scores are computed on the server from the scorecard version the form was
built from; the browser only sends pass/fail/n.a. and comments.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.access import roles
from callcenter.models import Scorecard
from callcenter.qa import scorecards

from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import refusal

bp = Blueprint("scorecards", __name__, url_prefix="/qa/scorecards")


@bp.route("", methods=["GET", "POST"])
@roles_required(roles.QA_EDITORS)
def scorecard_list() -> ResponseReturnValue:
    db = get_db()
    form = {"slug": request.form.get("slug", ""), "title": request.form.get("title", ""),
            "items": request.form.get("items", "")}
    if request.method == "POST":
        saved = _save(form["slug"], form["title"], form["items"])
        if saved is not None:
            return saved
    return render_template("qa/scorecards.html", cards=scorecards.active_cards(db), form=form), \
        (400 if request.method == "POST" else 200)


@bp.route("/<slug>", methods=["GET", "POST"])
@roles_required(roles.QA_EDITORS)
def scorecard_edit(slug: str) -> ResponseReturnValue:
    db = get_db()
    current = scorecards.latest_version(db, slug)
    if current is None:
        abort(404)
    form = {"slug": slug, "title": request.form.get("title", current.title),
            "items": request.form.get("items", scorecards.format_items(current.items))}
    if request.method == "POST":
        saved = _save(slug, form["title"], form["items"])
        if saved is not None:
            return saved
    versions = db.scalars(select(Scorecard).where(Scorecard.slug == slug).order_by(Scorecard.version.desc())).all()
    return render_template("qa/scorecard_edit.html", card=current, versions=versions, form=form), \
        (400 if request.method == "POST" else 200)


def _save(slug: str, title: str, text: str) -> ResponseReturnValue | None:
    """Store a new version and redirect, or flash why not and return None."""
    db = get_db()
    try:
        card = scorecards.save_version(db, slug, title, scorecards.parse_items(text), actor())
    except scorecards.ScorecardError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return None
    db.commit()
    flash(_("Saved as version %(v)s.", v=card.version), "success")
    return redirect(url_for("scorecards.scorecard_edit", slug=card.slug), 303)
