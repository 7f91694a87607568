"""Each agent's QA scores over time: the list, one agent's trend (chart) and its CSV."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from callcenter.access import accounts, roles, visibility
from callcenter.models import Call, QAReview, Scorecard, User
from callcenter.qa import scorecards

from ..auth.access import roles_required, user
from ..db import get_db
from ..downloads import csv_download

bp = Blueprint("qa_agents", __name__, url_prefix="/qa/agents")


def _visible_reviews() -> Any:
    """Reviews of calls this user may see (a supervisor: their team's)."""
    return QAReview.call_id.in_(select(Call.id).where(visibility.call_clause(user())))


@bp.route("")
@roles_required(roles.REVIEWERS)
def agents() -> ResponseReturnValue:
    db = get_db()
    rows = db.execute(select(QAReview.agent_id, func.count(), func.avg(QAReview.score), func.max(QAReview.created_at))
                      .where(_visible_reviews(), QAReview.agent_id.is_not(None))
                      .group_by(QAReview.agent_id)).all()
    return render_template("qa/agents.html", rows=rows, names=accounts.display_names(db, {r[0] for r in rows}))


def _trend(agent_id: int) -> list[QAReview]:
    db = get_db()
    if db.get(User, agent_id) is None:
        abort(404)
    return scorecards.trend(db, agent_id, _visible_reviews())


@bp.route("/<int:agent_id>")
@roles_required(roles.REVIEWERS)
def agent_trend(agent_id: int) -> ResponseReturnValue:
    db = get_db()
    reviews = _trend(agent_id)
    cards = {c.id: c for c in db.scalars(select(Scorecard).where(
        Scorecard.id.in_({r.scorecard_id for r in reviews})))}
    points = [{"at": r.created_at.isoformat(), "score": r.score, "call": r.call_id} for r in reviews]
    return render_template("qa/agent.html", agent_id=agent_id, reviews=reviews, cards=cards, points=points,
                           names=accounts.display_names(db, {agent_id, *(r.reviewer_id for r in reviews)}))


@bp.route("/<int:agent_id>.csv")
@roles_required(roles.REVIEWERS)
def agent_csv(agent_id: int) -> ResponseReturnValue:
    reviews = _trend(agent_id)
    names = accounts.display_names(get_db(), {r.reviewer_id for r in reviews})
    rows = [[r.created_at.isoformat(), r.call_id, r.scorecard_id, "" if r.score is None else r.score,
             r.failed_fail_all, names.get(r.reviewer_id or 0, ""), r.comment] for r in reviews]
    return csv_download(f"qa-agent-{agent_id}.csv",
                        ["reviewed_at", "call_id", "scorecard_id", "score", "failed_fail_all", "reviewer", "comment"],
                        rows)
