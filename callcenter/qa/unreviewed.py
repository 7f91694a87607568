"""What a QA reviewer starts the day with: recent transcribed calls nobody has scored yet, and their own pace.

Only calls the reviewer may see (``visibility.call_clause``), newest first,
from the last ``DAYS`` days: older unreviewed calls are a backlog for the
search page, not a to-do list.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..access import visibility
from ..models import Call, QAReview, Scorecard, Transcript, User, utcnow
from ..models.transcripts import TranscriptStatus

DAYS = 7


@dataclass
class ReviewDesk:
    calls: list[tuple[Call, Transcript]]  # the newest first, at most ``limit``
    waiting: int  # every unreviewed transcribed call of the last DAYS days
    reviewed_by_me: int  # reviews the reviewer filed in the last DAYS days
    scorecards: int  # active scorecards to review with


def review_desk(session: Session, reviewer: User, now: dt.datetime | None = None, limit: int = 20) -> ReviewDesk:
    since = (now or utcnow()) - dt.timedelta(days=DAYS)
    todo = (select(Call, Transcript).join(Transcript, Transcript.call_id == Call.id)
            .where(Transcript.status == TranscriptStatus.DONE, Call.started_at >= since,
                   Call.id.not_in(select(QAReview.call_id)), visibility.call_clause(reviewer)))
    calls = [(c, t) for c, t in session.execute(todo.order_by(Call.started_at.desc(), Call.id.desc())
                                                .limit(limit)).tuples()]
    return ReviewDesk(
        calls=calls, waiting=session.scalar(select(func.count()).select_from(todo.subquery())) or 0,
        reviewed_by_me=session.scalar(select(func.count()).select_from(QAReview).where(
            QAReview.reviewer_id == reviewer.id, QAReview.created_at >= since)) or 0,
        scorecards=session.scalar(select(func.count(func.distinct(Scorecard.slug))).where(Scorecard.is_active)) or 0)
