"""QA scorecards: checklist versions, scoring a call against one, trends per agent.

A score is the weighted share of applicable items that passed, 0..100.  A
failed "fail-all" item (e.g. "verified the caller's identity") makes the
whole score 0.  Items marked "not applicable" count for nothing either way;
a review with every item n/a has no score.  Editing a scorecard stores a new
version: reviews point at the version they were filled with, so an old
score never changes meaning when the checklist does.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import Call, QAReview, Scorecard

RESULTS = ("pass", "fail", "na")
MAX_ITEMS = 50
MAX_COMMENT = 2000
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
# The fourth part of an item's line, as the editor's help text writes it in English and in Chinese.
FAIL_ALL = ("fail-all", "一票否决")


class ScorecardError(Refusal):
    """Bad scorecard definition or review input (said in the reader's language by the web)."""


@dataclass(frozen=True)
class Outcome:
    score: float | None
    failed_fail_all: bool


def clean_items(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated items: unique keys, a label, a weight in 0..100, fail_all a bool."""
    if not raw:
        raise ScorecardError(N_("A scorecard needs at least one item."), field="items")
    if len(raw) > MAX_ITEMS:
        raise ScorecardError(N_("A scorecard has at most %(n)s items."), field="items", n=MAX_ITEMS)
    items, seen = [], set()
    for n, item in enumerate(raw, 1):
        key = str(item.get("key", "")).strip().lower()
        label = str(item.get("label", "")).strip()
        if not KEY.match(key):
            raise ScorecardError(N_("Item %(n)s: the key must be lowercase letters, digits, - or _."),
                                 field="items", n=n)
        if key in seen:
            raise ScorecardError(N_("Item %(n)s: the key %(key)s is used twice."), field="items", n=n, key=repr(key))
        if not label or len(label) > 200:
            raise ScorecardError(N_("Item %(n)s: a label of 1-200 characters is needed."), field="items", n=n)
        try:
            weight = float(item.get("weight", 1))
        except (TypeError, ValueError):
            raise ScorecardError(N_("Item %(n)s: the weight must be a number."), field="items", n=n) from None
        if not 0 <= weight <= 100:  # NaN fails this too
            raise ScorecardError(N_("Item %(n)s: the weight must be between 0 and 100."), field="items", n=n)
        seen.add(key)
        items.append({"key": key, "label": label, "weight": weight, "fail_all": bool(item.get("fail_all"))})
    return items


def parse_items(text: str) -> list[dict[str, Any]]:
    """The editor's text form, one item a line: ``key | label | weight [| fail-all]``."""
    raw = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 3:
            raise ScorecardError(N_("%(line)s: write 'key | label | weight [| fail-all]'."), field="items",
                                 line=repr(line.strip()[:60]))
        flag = parts[3].lower().replace("_", "-") if len(parts) > 3 else ""
        if flag not in ("", *FAIL_ALL):
            raise ScorecardError(N_("%(line)s: the fourth part can only be 'fail-all'."), field="items",
                                 line=repr(line.strip()[:60]))
        raw.append({"key": parts[0], "label": parts[1], "weight": parts[2], "fail_all": flag in FAIL_ALL})
    return clean_items(raw)


def format_items(items: list[dict[str, Any]]) -> str:
    return "\n".join(f"{i['key']} | {i['label']} | {i['weight']:g}" + (" | fail-all" if i["fail_all"] else "")
                     for i in items)


def score(items: list[dict[str, Any]], answers: dict[str, dict[str, Any]]) -> Outcome:
    """Weighted pass share in percent (one decimal); 0 when a fail-all item failed."""
    failed_all = any(i["fail_all"] and answers[i["key"]]["result"] == "fail" for i in items)
    if failed_all:
        return Outcome(0.0, True)
    applicable = [i for i in items if answers[i["key"]]["result"] != "na"]
    total = sum(i["weight"] for i in applicable)
    if total <= 0:
        return Outcome(None, False)
    passed = sum(i["weight"] for i in applicable if answers[i["key"]]["result"] == "pass")
    return Outcome(round(100.0 * passed / total, 1), False)


def clean_answers(items: list[dict[str, Any]], raw: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every item answered pass/fail/na, comments trimmed; anything else is refused."""
    out = {}
    for item in items:
        given = raw.get(item["key"]) or {}
        result = str(given.get("result", "")).strip().lower()
        if result not in RESULTS:
            raise ScorecardError(N_("Answer '%(item)s': pass, fail or not applicable."), item=item["label"])
        comment = str(given.get("comment", "")).strip()
        if len(comment) > MAX_COMMENT:
            raise ScorecardError(N_("The comment on '%(item)s' is longer than %(n)s characters."), item=item["label"],
                                 n=MAX_COMMENT)
        out[item["key"]] = {"result": result, "comment": comment}
    return out


def save_version(session: Session, slug: str, title: str, items: list[dict[str, Any]], actor: Actor) -> Scorecard:
    """Store the checklist as the slug's next version (audited); earlier versions stop being offered."""
    slug = slug.strip().lower()
    if not KEY.match(slug):
        raise ScorecardError(N_("The scorecard name must be lowercase letters, digits, - or _."), field="slug")
    title = title.strip()
    if not title or len(title) > 200:
        raise ScorecardError(N_("A title of 1-200 characters is needed."), field="title")
    items = clean_items(items)
    latest = latest_version(session, slug)
    if latest is not None and latest.items == items and latest.title == title:
        return latest  # nothing changed: no new version
    number = (session.scalar(select(func.max(Scorecard.version)).where(Scorecard.slug == slug)) or 0) + 1
    for old in session.scalars(select(Scorecard).where(Scorecard.slug == slug, Scorecard.is_active)):
        old.is_active = False
    card = Scorecard(slug=slug, version=number, title=title, items=items, is_active=True,
                     created_by_id=actor.user_id)
    session.add(card)
    session.flush()
    audit.record(session, "scorecard_changed", actor, object_type="scorecard", object_id=card.slug,
                 version=card.version)
    return card


def latest_version(session: Session, slug: str) -> Scorecard | None:
    return session.scalar(select(Scorecard).where(Scorecard.slug == slug)
                          .order_by(Scorecard.version.desc()).limit(1))


def active_cards(session: Session) -> list[Scorecard]:
    return list(session.scalars(select(Scorecard).where(Scorecard.is_active).order_by(Scorecard.title)))


def review_call(session: Session, call: Call, card: Scorecard, raw_answers: dict[str, dict[str, Any]],
                comment: str, reviewer: Actor) -> QAReview:
    """Score and store one review, audited."""
    if not card.is_active:
        raise ScorecardError(N_("This scorecard version has been replaced; reload the page."))
    answers = clean_answers(card.items, raw_answers)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ScorecardError(N_("The overall comment is longer than %(n)s characters."), field="comment", n=MAX_COMMENT)
    outcome = score(card.items, answers)
    review = QAReview(call_id=call.id, scorecard_id=card.id, reviewer_id=reviewer.user_id, agent_id=call.agent_id,
                      answers=answers, comment=comment, score=outcome.score,
                      failed_fail_all=outcome.failed_fail_all)
    session.add(review)
    session.flush()
    audit.record(session, "qa_review_saved", reviewer, object_type="call", object_id=call.id, review_id=review.id,
                 scorecard=card.slug, version=card.version, score=review.score, agent_id=review.agent_id)
    return review


def trend(session: Session, agent_id: int, *where: ColumnElement[bool], since: dt.datetime | None = None,
          until: dt.datetime | None = None) -> list[QAReview]:
    """An agent's reviews oldest first, for the trend chart and its CSV (``where`` narrows)."""
    q = select(QAReview).where(QAReview.agent_id == agent_id, *where)
    if since is not None:
        q = q.where(QAReview.created_at >= since)
    if until is not None:
        q = q.where(QAReview.created_at < until)
    return list(session.scalars(q.order_by(QAReview.created_at, QAReview.id).limit(5000)))
