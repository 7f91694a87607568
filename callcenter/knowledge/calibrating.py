"""When the calibration is fitted again: a manager asks (a background job), the CLI, or the nightly run.

The fit itself is ``calibration.calibrate``; this module decides who may
ask for it, runs it where it belongs (a background job with progress for
the page, at once for the CLI, at night from the dispatcher when there is
something new to learn from) and leaves the audit row.  A fit the data
cannot support (``KnowledgeError``) reaches the person who asked in their
language: the job fails with the same message.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ..access import audit
from ..access.audit import Actor
from ..access.roles import MANAGERS
from ..background import jobs
from ..background.worker import Work
from ..db import transaction
from ..i18n import N_
from ..models import (
    Article,
    ArticleStatus,
    BackgroundJob,
    Calibration,
    KnowledgeState,
    QuestionVariant,
    Suggestion,
    VariantStatus,
)
from . import calibration
from .articles import KnowledgeError

log = logging.getLogger(__name__)
KIND = "knowledge.calibrate"
# SQLite keeps ``KnowledgeState.changed_at`` to the second: a change in the same second as a fit counts as new.
SLACK = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Readiness:
    """What a fit could learn from now: articles with two or more questions, and the agents' marks."""

    askable: int
    labelled: int


def readiness(session: Session) -> Readiness:
    """Published articles with at least two approved questions in one language, and labelled suggestions."""
    per_language = (select(QuestionVariant.article_id).join(Article)
                    .where(Article.status == ArticleStatus.PUBLISHED, QuestionVariant.status == VariantStatus.APPROVED)
                    .group_by(QuestionVariant.article_id, QuestionVariant.locale)
                    .having(func.count() >= 2).subquery())
    askable = session.scalar(select(func.count(func.distinct(per_language.c.article_id)))) or 0
    labelled = session.scalar(select(func.count()).select_from(Suggestion).where(Suggestion.helpful.is_not(None)))
    return Readiness(int(askable), int(labelled or 0))


def _manager(actor: Actor) -> None:
    if actor.user is not None and actor.role not in MANAGERS:
        raise KnowledgeError(N_("Only supervisors and admins calibrate the suggestions."), code="forbidden")


def submit(session: Session, actor: Actor, label: str) -> BackgroundJob:
    """Queue a fit for ``actor`` (the same job if one is already waiting or running for them)."""
    _manager(actor)
    return jobs.submit(session, actor, KIND, {}, label)


def calibrate_now(session: Session, actor: Actor, reason: str = "asked") -> Calibration:
    """Fit and store a calibration in ``session``, with its audit row; KnowledgeError when the data cannot."""
    _manager(actor)
    row = calibration.calibrate(session)
    audit.record(session, "knowledge_calibrated", actor, object_type="calibration", object_id=row.id,
                 positives=row.positives, negatives=row.negatives, sources=dict(row.sources), reason=reason)
    return row


def run(work: Work) -> dict[str, Any]:
    """The background job: look at what there is to learn from, fit, store; progress at each step."""
    work.progress(0, 3)
    with transaction(work.session_factory) as session:
        ready = readiness(session)
    work.progress(1, 3)
    try:
        with transaction(work.session_factory) as session:
            row = calibrate_now(session, work.actor(session))
            result = {"calibration_id": row.id, "pairs": row.positives + row.negatives, "positives": row.positives,
                      "negatives": row.negatives, "askable": ready.askable, "labelled": ready.labelled}
    except KnowledgeError as exc:
        # Said to whoever asked, in their language (the worker keeps the template and its values).
        raise jobs.JobError(exc.template, code=exc.code, **exc.params) from exc
    work.progress(3, 3)
    return result


def last_job(session: Session, user_id: int) -> BackgroundJob | None:
    """This person's newest calibration job, for the page to show its progress or why it failed."""
    return session.scalar(select(BackgroundJob).where(BackgroundJob.kind == KIND,
                                                      BackgroundJob.requested_by_id == user_id)
                          .order_by(BackgroundJob.id.desc()).limit(1))


# -- the nightly run ----------------------------------------------------------------------------------
def news(session: Session) -> str | None:
    """Why a new fit is worth it ("first", "labels", "articles"), or None when nothing changed since the last."""
    last = calibration.latest(session)
    if last is None:
        return "first"
    marked = session.scalar(select(func.count()).select_from(Suggestion)
                            .where(Suggestion.marked_at.is_not(None), Suggestion.marked_at > last.at))
    if marked:
        return "labels"
    state = session.get(KnowledgeState, 1)
    if state is not None and state.changed_at is not None and _utc(state.changed_at) >= last.at - SLACK:
        return "articles"
    return None


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def nightly(factory: sessionmaker[Session], actor: Actor) -> str:
    """Fit again when there is something new; the outcome: "calibrated", "unchanged" or "refused"."""
    with factory() as session:
        reason = news(session)
    if reason is None:
        return "unchanged"
    try:
        with transaction(factory) as session:
            row = calibrate_now(session, actor, reason=reason)
    except KnowledgeError as exc:
        log.info("nightly calibration: not fitted (%s)", exc)
        return "refused"
    log.info("nightly calibration %s (%s): %d pairs", row.id, reason, row.positives + row.negatives)
    return "calibrated"
