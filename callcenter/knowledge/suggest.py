"""The articles that fit a question, with the probability they answer it and the words that matched.

The desk asks on every pause in typing (nothing is written then); the
pop, the ticket page, a new ticket, auto-reply and the IVR ask once and
log what they showed (``log=``), so reports can count what was offered and
the agents' "helpful / not helpful" on a logged suggestion become labels
the calibration learns from.  A mark on an unlogged suggestion logs it
first, with the same features it was shown with.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..access.roles import DESK
from ..i18n import N_
from ..models import (
    Article,
    ArticleStatus,
    ArticleVersion,
    LinkKind,
    Message,
    MessageDirection,
    Suggestion,
    Ticket,
    TicketArticle,
    Transcript,
    TranscriptStatus,
    utcnow,
)
from ..text import words
from . import calibration
from .articles import KnowledgeError
from .calibration import Model
from .index import KnowledgeIndex, Ranked, rank
from .settings import KnowledgeSettings

MAX_QUERY = 4000  # characters of a question looked at (a long transcript's start says what it is about)


@dataclass(frozen=True)
class Hit:
    """A suggested article as the desk shows it."""

    article_id: int
    code: str
    locale: str
    title: str
    short: str
    category: str
    probability: float
    score: float
    matched: tuple[str, ...]
    features: list[float]
    calibrated: bool
    rank: int
    suggestion_id: int | None = None


@dataclass(frozen=True)
class Said:
    """A question: text still to cut, and words cut when they were stored (a call's transcript, cut once by
    the transcriber: jieba takes milliseconds per thousand characters, too long to pay on every keystroke)."""

    text: str = ""
    cut: tuple[str, ...] = ()

    @property
    def logged(self) -> str:
        """The question as a log row and a report keep it: the text, then the stored words."""
        return "\n".join(p for p in (self.text, " ".join(self.cut)) if p)[:MAX_QUERY]

    def empty(self) -> bool:
        return not self.text.strip() and not self.cut


def question_of(session: Session, ticket: Ticket) -> Said:
    """What a ticket asks: subject, description, the customer's last messages and what the caller said."""
    parts = [ticket.subject or "", ticket.description or ""]
    parts += session.scalars(select(Message.body).where(Message.ticket_id == ticket.id,
                                                        Message.direction == MessageDirection.INBOUND)
                             .order_by(Message.id.desc()).limit(3))
    text = "\n".join(p for p in parts if p)[:MAX_QUERY]
    return Said(text, caller_said(session, ticket.origin_call_id) if ticket.origin_call_id is not None else ())


def caller_said(session: Session, call_id: int) -> tuple[str, ...]:
    """The words of the caller's side of a finished transcript, as stored (up to ``MAX_QUERY`` characters)."""
    stored = session.scalar(select(Transcript.caller_words).where(Transcript.call_id == call_id,
                                                                  Transcript.status == TranscriptStatus.DONE))
    return capped((stored or "").split())


def capped(found: Sequence[str]) -> tuple[str, ...]:
    """The first words, up to ``MAX_QUERY`` characters of them, as a question's text is cut short."""
    kept, size = [], 0
    for word in found:
        size += len(word) + 1
        if size > MAX_QUERY:
            break
        kept.append(word)
    return tuple(kept)


def _shown(session: Session, ids: list[int]) -> dict[int, tuple[str, dict[str, tuple[str, str, str]]]]:
    """What a hit shows of each published article: its code and, per language, (locale, title, short answer).

    Columns, not whole articles: loading those (bodies, words, category, versions) was most of a suggestion's
    time, and SQLite answered ``id IN (...) AND status = ...`` by reading every published article's status."""
    found: dict[int, tuple[str, dict[str, tuple[str, str, str]]]] = {}
    for row in session.execute(
            select(Article.id, Article.code, ArticleVersion.locale, ArticleVersion.title, ArticleVersion.short)
            .join(ArticleVersion, ArticleVersion.article_id == Article.id)
            .where(Article.id.in_(ids), Article.status == ArticleStatus.PUBLISHED)):
        found.setdefault(row.id, (row.code, {}))[1][row.locale] = (row.locale, row.title, row.short)
    return found


class Suggester:
    def __init__(self, index: KnowledgeIndex, settings: KnowledgeSettings) -> None:
        self.index, self.settings = index, settings
        self._model: tuple[float, Model] | None = None

    def model(self, session: Session) -> Model:
        """The newest calibration (looked up again at most every ``refresh_seconds``)."""
        cached = self._model
        if cached is not None and time.monotonic() - cached[0] < self.settings.refresh_seconds:
            return cached[1]
        model = calibration.model_of(calibration.latest(session))
        self._model = (time.monotonic(), model)
        return model

    def forget_model(self) -> None:
        """A new calibration was stored here: use it from the next question on."""
        self._model = None

    def ranked(self, text: str, *, k: int, category: str | None = None, tags: Iterable[str] = (),
               product: str | None = None, strict_category: bool = False, cut: Sequence[str] = ()) -> list[Ranked]:
        """``text`` is cut here; ``cut``: words already cut when they were stored (``Said.cut``)."""
        return rank(self.index.current(), words.terms(text[:MAX_QUERY]) + list(cut), k=k, category=category,
                    tags=tags, product=product, strict_category=strict_category)

    def suggest(self, session: Session, text: str, *, category: str | None = None, locale: str | None = None,
                k: int | None = None, tags: Iterable[str] = (), product: str | None = None,
                strict_category: bool = False, log: str | None = None, ticket_id: int | None = None,
                call_id: int | None = None, user_id: int | None = None, cut: Sequence[str] = ()) -> list[Hit]:
        """The best articles for ``text`` (and words already ``cut``), most likely first; ``log`` (a context
        name) stores them as shown."""
        found = self.ranked(text, k=k or self.settings.suggestions, category=category, tags=tags, product=product,
                            strict_category=strict_category, cut=cut)
        if not found:
            return []
        model = self.model(session)
        shown = _shown(session, [r.article_id for r in found])
        hits = []
        for position, ranked in enumerate(found, start=1):
            code, versions = shown.get(ranked.article_id, ("", {}))
            wanted = locale or ranked.locale
            version = versions.get(wanted) or versions.get("en") or versions.get("zh")  # Article.version's choice
            if version is None:
                continue  # archived since this process built its index
            hits.append(Hit(ranked.article_id, code, *version, ranked.category,
                            round(model.probability(ranked.features), 4), round(ranked.score, 4),
                            ranked.matched, ranked.features, model.fitted, position))
        if log:
            query = Said(text, tuple(cut)).logged
            hits = [self._log(session, h, log, query, category, ticket_id, call_id, user_id) for h in hits]
        return hits

    @staticmethod
    def _log(session: Session, hit: Hit, context: str, text: str, category: str | None, ticket_id: int | None,
             call_id: int | None, user_id: int | None) -> Hit:
        row = Suggestion(context=context[:20], ticket_id=ticket_id, call_id=call_id, user_id=user_id,
                         article_id=hit.article_id, category=(category or "")[:80], query=text[:MAX_QUERY],
                         rank=hit.rank, score=hit.score, features=hit.features, probability=hit.probability,
                         matched=list(hit.matched))
        session.add(row)
        session.flush()
        return Hit(**{**hit.__dict__, "suggestion_id": row.id})

    def record(self, session: Session, hit: Hit, context: str, text: str, *, category: str | None = None,
               ticket_id: int | None = None) -> Hit:
        """Log one hit of an unlogged look, once it was acted on (auto-reply logs only the answer it sent)."""
        return self._log(session, hit, context, text, category, ticket_id, None, None)

    # -- the agent's answers ------------------------------------------------------------------------
    def mark(self, session: Session, actor: Actor, *, helpful: bool, suggestion_id: int | None = None,
             query: str = "", article_id: int | None = None, context: str = "desk", ticket_id: int | None = None,
             category: str | None = None, cut: Sequence[str] = ()) -> Suggestion:
        """An agent's "helpful" or "not helpful": a label for the calibration, and an audit row."""
        if actor.user is not None and actor.role not in DESK:
            raise KnowledgeError(N_("Only agents, supervisors and admins rate suggestions."), code="forbidden")
        row = session.get(Suggestion, suggestion_id) if suggestion_id is not None else None
        if row is None:
            row = self._shown(session, Said(query, tuple(cut)), article_id, context, ticket_id, category,
                              actor.user_id)
        row.helpful, row.marked_by_id, row.marked_at = helpful, actor.user_id, utcnow()
        session.flush()
        audit.record(session, "suggestion_marked", actor, object_type="article", object_id=row.article_id,
                     suggestion_id=row.id, helpful=helpful, ticket_id=row.ticket_id)
        return row

    def _shown(self, session: Session, asked: Said, article_id: int | None, context: str, ticket_id: int | None,
               category: str | None, user_id: int | None) -> Suggestion:
        if asked.empty() or article_id is None:
            raise KnowledgeError(N_("Which suggestion? The question and the article are needed."), code="bad_mark")
        for hit in self.suggest(session, asked.text, category=category, k=20, cut=asked.cut):
            if hit.article_id == article_id:
                logged = self._log(session, hit, context, asked.logged, category, ticket_id, None, user_id)
                found = session.get(Suggestion, logged.suggestion_id)
                assert found is not None
                return found
        raise KnowledgeError(N_("That article does not match this question any more."), code="not_suggested")

    def link(self, session: Session, actor: Actor, ticket_id: int, article_id: int,
             kind: LinkKind = LinkKind.LINKED) -> TicketArticle:
        """Note on the ticket that this article was about it (linked, inserted, heard in the IVR ...); once."""
        if session.get(Ticket, ticket_id) is None or session.get(Article, article_id) is None:
            raise KnowledgeError(N_("No such ticket or article."), code="not_found")
        found = session.scalar(select(TicketArticle).where(TicketArticle.ticket_id == ticket_id,
                                                           TicketArticle.article_id == article_id,
                                                           TicketArticle.kind == kind))
        if found is None:
            found = TicketArticle(ticket_id=ticket_id, article_id=article_id, kind=kind, by_id=actor.user_id)
            session.add(found)
            session.flush()
            audit.record(session, "article_linked", actor, object_type="ticket", object_id=ticket_id,
                         article_id=article_id, kind=kind.value)
        return found

    def linked(self, session: Session, ticket_id: int,
               locale: str = "en") -> list[tuple[TicketArticle, ArticleVersion | None]]:
        """The articles noted on a ticket, oldest first, each with a version to show."""
        rows = session.scalars(select(TicketArticle).where(TicketArticle.ticket_id == ticket_id)
                               .order_by(TicketArticle.id))
        found = []
        for link in rows:
            article = session.get(Article, link.article_id)
            found.append((link, article.version(locale) if article is not None else None))
        return found
