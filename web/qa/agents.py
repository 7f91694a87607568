"""Each agent's QA scores over time: the list, one agent's trend (chart) and its CSV."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import func, select

from callcenter.access import accounts, roles, visibility
from callcenter.i18n import N_
from callcenter.models import Call, QAReview, Scorecard, User
from callcenter.qa import scorecards

from ..auth.access import roles_required, user
from ..db import get_db
from ..downloads import csv_download
from ..templating import localtime
from ..templating import zone as centre_zone

bp = Blueprint("qa_agents", __name__, url_prefix="/qa/agents")
# The CSV's columns, in a fixed order (keys for programs); the header row is in the reader's language.
CSV_COLUMNS = [("reviewed_at", N_("Reviewed")), ("call_id", N_("Call")), ("scorecard_id", N_("Scorecard")),
               ("score", N_("Score")), ("failed_fail_all", N_("fail-all item failed")), ("reviewer", N_("Reviewer")),
               ("comment", N_("Comment"))]


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
    # The chart's labels are written here, in the reader's language and the centre's time zone.
    zone = centre_zone(current_app)
    points = [{"at": localtime(r.created_at, zone), "score": r.score, "call": r.call_id} for r in reviews]
    return render_template("qa/agent.html", agent_id=agent_id, reviews=reviews, cards=cards, points=points,
                           names=accounts.display_names(db, {agent_id, *(r.reviewer_id for r in reviews)}))


@bp.route("/<int:agent_id>.csv")
@roles_required(roles.REVIEWERS)
def agent_csv(agent_id: int) -> ResponseReturnValue:
    reviews = _trend(agent_id)
    names = accounts.display_names(get_db(), {r.reviewer_id for r in reviews})
    rows = [[r.created_at.isoformat(), r.call_id, r.scorecard_id, "" if r.score is None else r.score,
             r.failed_fail_all, names.get(r.reviewer_id or 0, ""), r.comment] for r in reviews]
    return csv_download(f"qa-agent-{agent_id}.csv", [gettext(label) for _, label in CSV_COLUMNS], rows)
