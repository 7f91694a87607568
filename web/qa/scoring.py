"""Scorecards: the editor (admin, QA), filling one for a call, and each agent's trend.

Scores are computed on the server from the scorecard version the form was
built from; the browser only sends pass/fail/n.a. and comments.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from callcenter import audit, scorecards, visibility
from callcenter.models import Call, QAReview, Role, Scorecard, User

from ..auth.access import roles_required
from ..db import get_db
from . import bp
from .routes import REVIEWERS, user_names, visible_call, workspace

EDITORS = (Role.ADMIN, Role.QA)


@bp.route("/calls/<int:call_id>/reviews", methods=["POST"])
@roles_required(*REVIEWERS)
def review(call_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    call = visible_call(call_id)
    card_id = request.form.get("scorecard_id", "")
    card = db.get(Scorecard, int(card_id)) if card_id.isdigit() else None
    if card is None:
        flash(_("Choose a scorecard."), "error")
        return workspace(call_id), 400
    answers = {item["key"]: {"result": request.form.get(f"result-{item['key']}", ""),
                             "comment": request.form.get(f"comment-{item['key']}", "")} for item in card.items}
    try:
        row = scorecards.review_call(db, call, card, answers, request.form.get("comment", ""),
                                     db.get(User, current_user.id))  # type: ignore[arg-type]
    except scorecards.ScorecardError as exc:
        db.rollback()
        flash(str(exc), "error")
        return workspace(call_id), 400
    audit.record(db, "qa_review_saved", actor=current_user, object_type="call", object_id=call_id,
                 ip=request.remote_addr, review_id=row.id, scorecard=card.slug, version=card.version,
                 score=row.score, agent_id=row.agent_id)
    db.commit()
    flash(_("Review saved: score %(s)s.", s="—" if row.score is None else f"{row.score:g}"), "success")
    return redirect(url_for("qa.workspace", call_id=call_id) + "#reviews", 303)


@bp.route("/scorecards", methods=["GET", "POST"])
@roles_required(*EDITORS)
def scorecard_list():  # type: ignore[no-untyped-def]
    db = get_db()
    form = {"slug": request.form.get("slug", ""), "title": request.form.get("title", ""),
            "items": request.form.get("items", "")}
    if request.method == "POST":
        saved = _save(form["slug"], form["title"], form["items"])
        if saved is not None:
            return saved
    return render_template("qa/scorecards.html", cards=scorecards.active_cards(db), form=form), \
        (400 if request.method == "POST" else 200)


@bp.route("/scorecards/<slug>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def scorecard_edit(slug: str):  # type: ignore[no-untyped-def]
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


def _save(slug: str, title: str, text: str) -> Any:
    """Store a new version and redirect, or flash why not and return None."""
    db = get_db()
    try:
        card = scorecards.save_version(db, slug, title, scorecards.parse_items(text),
                                       db.get(User, current_user.id))
    except scorecards.ScorecardError as exc:
        db.rollback()
        flash(str(exc), "error")
        return None
    audit.record(db, "scorecard_changed", actor=current_user, object_type="scorecard", object_id=card.slug,
                 ip=request.remote_addr, version=card.version)
    db.commit()
    flash(_("Saved as version %(v)s.", v=card.version), "success")
    return redirect(url_for("qa.scorecard_edit", slug=card.slug), 303)


def _visible_reviews() -> Any:
    """Reviews of calls this user may see (a supervisor: their team's)."""
    return QAReview.call_id.in_(select(Call.id).where(visibility.call_clause(current_user)))


@bp.route("/agents")
@roles_required(*REVIEWERS)
def agents():  # type: ignore[no-untyped-def]
    db = get_db()
    rows = db.execute(select(QAReview.agent_id, func.count(), func.avg(QAReview.score), func.max(QAReview.created_at))
                      .where(_visible_reviews(), QAReview.agent_id.is_not(None))
                      .group_by(QAReview.agent_id)).all()
    return render_template("qa/agents.html", rows=rows, names=user_names({r[0] for r in rows}))


def _trend(agent_id: int) -> list[QAReview]:
    db = get_db()
    if db.get(User, agent_id) is None:
        abort(404)
    return scorecards.trend(db, agent_id, _visible_reviews())


@bp.route("/agents/<int:agent_id>")
@roles_required(*REVIEWERS)
def agent_trend(agent_id: int):  # type: ignore[no-untyped-def]
    reviews = _trend(agent_id)
    cards = {c.id: c for c in get_db().scalars(select(Scorecard).where(
        Scorecard.id.in_({r.scorecard_id for r in reviews})))}
    points = [{"at": r.created_at.isoformat(), "score": r.score, "call": r.call_id} for r in reviews]
    return render_template("qa/agent.html", agent_id=agent_id, reviews=reviews, cards=cards, points=points,
                           names=user_names({agent_id, *(r.reviewer_id for r in reviews)}))


@bp.route("/agents/<int:agent_id>.csv")
@roles_required(*REVIEWERS)
def agent_csv(agent_id: int):  # type: ignore[no-untyped-def]
    reviews = _trend(agent_id)
    names = user_names({r.reviewer_id for r in reviews})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reviewed_at", "call_id", "scorecard_id", "score", "failed_fail_all", "reviewer", "comment"])
    for r in reviews:
        row = [r.created_at.isoformat(), r.call_id, r.scorecard_id, "" if r.score is None else r.score,
               r.failed_fail_all, names.get(r.reviewer_id or 0, ""), r.comment]
        # Spreadsheet formula injection: a cell must never start with = + - @.
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=qa-agent-{agent_id}.csv"})
