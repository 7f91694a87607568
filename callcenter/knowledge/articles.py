"""Writing the knowledge base: articles and their revisions, question variants, categories.

Any desk role writes drafts; supervisors and admins publish, archive,
restore a revision, review candidate variants and set the categories'
thresholds.  Every save is a revision per language (kept whole, so the
history shows who wrote what and a restore is a new save of an old text),
every change an audit row, and the article's words are cut again at once,
so the index of every process (``index.py``) finds what was just saved.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..access.roles import DESK, MANAGERS
from ..i18n import N_, Refusal
from ..models import (
    LOCALES,
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleVersion,
    KnowledgeCategory,
    KnowledgeState,
    LinkKind,
    QuestionVariant,
    TicketArticle,
    TicketStatus,
    VariantStatus,
)
from ..models import Ticket as TicketModel
from ..text import segments
from .index import document
from .notifier import KnowledgeNotifier

MAX_TITLE, MAX_BODY, MAX_VARIANT = 200, 50_000, 500
MAX_TAGS, MAX_VARIANTS = 12, 60
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
TAG = re.compile(r"^[^\s,\x00-\x1f]{1,40}$")
# A short answer is said by text-to-speech and sent as SMS: no links, no markup, no line breaks.
UNSAYABLE = re.compile(r"https?://|www\.|[<>{}\[\]*#`|_~\\]|\r|\n")
SHORT_SMS = 2  # a short answer fits two SMS
FIRST_CODE = 1001


class KnowledgeError(Refusal):
    """A knowledge-base change the service refuses (said in the reader's language by the web)."""


@dataclass(frozen=True)
class VersionText:
    """One language of an article as its author typed it."""

    title: str
    body: str = ""
    short: str = ""


def locale_of(code: str | None) -> str:
    """A stored language ("zh-CN", "en_US") as a knowledge-base locale ("zh", "en")."""
    return "zh" if (code or "").lower().startswith("zh") else "en"


def _clean(text: str | None) -> str:
    return (text or "").replace("\x00", "").strip()


def check_short(short: str, locale: str) -> str:
    """A short answer that text-to-speech can say and two SMS can carry, or KnowledgeError."""
    short = " ".join(_clean(short).split()) if "\n" not in (short or "") else _clean(short)
    if UNSAYABLE.search(short):
        raise KnowledgeError(N_("The short answer is said aloud and sent by SMS: no links, markup or line breaks."),
                             field=f"short_{locale}", code="short_unsayable")
    if segments.measure(short).count > SHORT_SMS:
        raise KnowledgeError(N_("The short answer must fit %(n)s SMS; shorten it."), field=f"short_{locale}",
                             code="short_too_long", n=SHORT_SMS)
    return short


def _version(locale: str, text: VersionText, publishing: bool) -> VersionText:
    title, body = " ".join(_clean(text.title).split()), _clean(text.body)
    if not title or len(title) > MAX_TITLE:
        raise KnowledgeError(N_("A title of 1-%(n)s characters."), field=f"title_{locale}", code="bad_title",
                             n=MAX_TITLE)
    if len(body) > MAX_BODY:
        raise KnowledgeError(N_("The text is over %(n)s characters."), field=f"body_{locale}", code="body_too_long",
                             n=MAX_BODY)
    short = check_short(text.short, locale)
    if publishing and not short:
        raise KnowledgeError(N_("A published article needs a short answer in each of its languages."),
                             field=f"short_{locale}", code="short_missing")
    return VersionText(title, body, short)


def _tags(values: Iterable[str]) -> list[str]:
    tags = list(dict.fromkeys(t.strip().casefold() for t in values if t and t.strip()))
    if len(tags) > MAX_TAGS or not all(TAG.match(t) for t in tags):
        raise KnowledgeError(N_("Up to %(n)s tags of 1-40 characters, without spaces or commas."), field="tags",
                             code="bad_tags", n=MAX_TAGS)
    return tags


def _variant_text(text: str) -> str:
    text = " ".join(_clean(text).split())
    if not text or len(text) > MAX_VARIANT:
        raise KnowledgeError(N_("A question of 1-%(n)s characters."), field="variant", code="bad_variant",
                             n=MAX_VARIANT)
    return text


def bump(session: Session, *, articles: bool = True) -> None:
    """Tell every process's index that the articles (or the dictionary) changed."""
    column = KnowledgeState.articles if articles else KnowledgeState.dictionary
    session.execute(update(KnowledgeState).where(KnowledgeState.id == 1)
                    .values({column: column + 1, KnowledgeState.changed_at: func.now()}))


def reindex(article: Article) -> None:
    """Cut each version's words again, weighted as ``index.document`` says."""
    for version in article.versions:
        asked = [v.text for v in article.variants if v.locale == version.locale and v.status is VariantStatus.APPROVED]
        version.search_words = document(version.title, asked, version.short, version.body)


class Articles:
    def __init__(self, notifier: KnowledgeNotifier, default_threshold: float = 0.75) -> None:
        self.notifier, self.default_threshold = notifier, default_threshold

    # -- who may ------------------------------------------------------------------------------------
    @staticmethod
    def _writer(actor: Actor) -> None:
        if actor.user is not None and actor.role not in DESK:
            raise KnowledgeError(N_("Only agents, supervisors and admins write articles."), code="forbidden")

    @staticmethod
    def _manager(actor: Actor) -> None:
        if actor.user is not None and actor.role not in MANAGERS:
            raise KnowledgeError(N_("Only supervisors and admins publish articles and review questions."),
                                 code="forbidden")

    # -- categories ---------------------------------------------------------------------------------
    def save_category(self, session: Session, actor: Actor, *, key: str, name_en: str, name_zh: str = "",
                      threshold: float | None = None, auto_reply: bool = True) -> KnowledgeCategory:
        """Add or change a category (``key`` is a ticket's category, as the IVR and the forms set it)."""
        self._manager(actor)
        key = (key or "").strip().lower()
        if not KEY.match(key):
            raise KnowledgeError(N_("A key of lower-case letters, digits, - and _."), field="key", code="bad_key")
        name_en = " ".join(_clean(name_en).split())
        if not name_en or len(name_en) > MAX_TITLE:
            raise KnowledgeError(N_("A name of 1-%(n)s characters."), field="name_en", code="bad_name", n=MAX_TITLE)
        if threshold is not None and not 0 < threshold <= 1:
            raise KnowledgeError(N_("A threshold between 0 and 1."), field="threshold", code="bad_threshold")
        found = session.scalar(select(KnowledgeCategory).where(KnowledgeCategory.key == key))
        if found is None:
            found = KnowledgeCategory(key=key)
            session.add(found)
        found.name_en, found.name_zh = name_en, " ".join(_clean(name_zh).split())[:MAX_TITLE]
        found.threshold = self.default_threshold if threshold is None else threshold
        found.auto_reply = auto_reply
        session.flush()
        audit.record(session, "knowledge_category_saved", actor, object_type="knowledge_category",
                     object_id=found.id, key=key, threshold=found.threshold, auto_reply=auto_reply)
        return found

    def _category(self, session: Session, key: str | None) -> KnowledgeCategory | None:
        if not key:
            return None
        found = session.scalar(select(KnowledgeCategory).where(KnowledgeCategory.key == key.strip().lower()))
        if found is None:
            raise KnowledgeError(N_("Unknown category %(value)s."), field="category", code="bad_category", value=key)
        return found

    # -- articles -----------------------------------------------------------------------------------
    def get(self, session: Session, article_id: int) -> Article:
        article = session.get(Article, article_id)
        if article is None:
            raise KnowledgeError(N_("No such article."), code="not_found")
        return article

    def create(self, session: Session, actor: Actor, *, versions: Mapping[str, VersionText],
               category: str | None = None, product: str = "", tags: Iterable[str] = (),
               variants: Sequence[tuple[str, str]] = (), publish: bool = False,
               source_ticket_id: int | None = None, note: str = "") -> Article:
        """A new article (a draft unless ``publish``), with its first revision and its question variants."""
        self._writer(actor)
        if publish:
            self._manager(actor)
        code = max([int(c) for c in session.scalars(select(Article.code)) if c.isdigit()] or [FIRST_CODE - 1]) + 1
        article = Article(code=str(code), created_by_id=actor.user_id, updated_by_id=actor.user_id,
                          status=ArticleStatus.PUBLISHED if publish else ArticleStatus.DRAFT,
                          source_ticket_id=source_ticket_id, revision=0, versions=[], variants=[])
        session.add(article)
        for locale, text in variants:
            self._new_variant(article, locale, text, VariantStatus.APPROVED, "author", actor, source_ticket_id)
        self._write(session, actor, article, versions, category, product, tags, note or "created")
        if source_ticket_id is not None:
            session.add(TicketArticle(ticket_id=source_ticket_id, article_id=article.id, kind=LinkKind.SOURCE,
                                      by_id=actor.user_id))
        return article

    def save(self, session: Session, actor: Actor, article_id: int, *, versions: Mapping[str, VersionText],
             category: str | None = None, product: str = "", tags: Iterable[str] = (), note: str = "") -> Article:
        """A new revision of an article's texts, category, product and tags (its status stays as it is)."""
        self._writer(actor)
        article = self.get(session, article_id)
        if article.status is ArticleStatus.PUBLISHED:
            self._manager(actor)  # a published text changes only by someone who may publish
        self._write(session, actor, article, versions, category, product, tags, note)
        return article

    def _write(self, session: Session, actor: Actor, article: Article, versions: Mapping[str, VersionText],
               category: str | None, product: str, tags: Iterable[str], note: str) -> None:
        unknown = set(versions) - set(LOCALES)
        if unknown or not versions:
            raise KnowledgeError(N_("An article needs an English or a Chinese version."), field="title_en",
                                 code="no_version")
        publishing = article.status is ArticleStatus.PUBLISHED
        cleaned = {loc: _version(loc, text, publishing) for loc, text in versions.items()}
        article.category = self._category(session, category)
        article.product = " ".join(_clean(product).split())[:80]
        article.tags = _tags(tags)
        article.revision += 1
        article.updated_by_id = actor.user_id
        existing = {v.locale: v for v in article.versions}
        for locale, text in cleaned.items():
            version = existing.get(locale)
            if version is None:
                version = ArticleVersion(locale=locale, title=text.title)
                article.versions.append(version)
            version.title, version.body, version.short = text.title, text.body, text.short
        for locale, version in existing.items():
            if locale not in cleaned:
                article.versions.remove(version)
        reindex(article)
        session.flush()
        for locale, text in cleaned.items():
            session.add(ArticleRevision(article_id=article.id, number=article.revision, locale=locale,
                                        title=text.title, body=text.body, short=text.short, status=article.status,
                                        note=_clean(note)[:200], author_id=actor.user_id))
        self._changed(session, actor, article, "article_saved", locales=sorted(cleaned))

    def _changed(self, session: Session, actor: Actor, article: Article, action: str, **detail: Any) -> None:
        bump(session)
        session.flush()
        audit.record(session, action, actor, object_type="article", object_id=article.id, code=article.code,
                     revision=article.revision, status=article.status.value, **detail)
        self.notifier.article_changed(session, article, actor)

    def set_status(self, session: Session, actor: Actor, article_id: int, status: ArticleStatus) -> Article:
        """Publish, archive or return an article to draft; publishing checks every version's short answer."""
        self._manager(actor)
        article = self.get(session, article_id)
        if status is ArticleStatus.PUBLISHED:
            for version in article.versions:
                _version(version.locale, VersionText(version.title, version.body, version.short), True)
        if article.status is not status:
            article.status = status
            article.revision += 1
            article.updated_by_id = actor.user_id
            self._changed(session, actor, article, "article_status_changed")
        return article

    def history(self, session: Session, article_id: int) -> list[ArticleRevision]:
        """Every saved revision, newest first."""
        return list(session.scalars(select(ArticleRevision).where(ArticleRevision.article_id == article_id)
                                    .order_by(ArticleRevision.number.desc(), ArticleRevision.locale)))

    def restore(self, session: Session, actor: Actor, article_id: int, number: int) -> Article:
        """Save an old revision's texts again, as a new revision."""
        article = self.get(session, article_id)
        old = [r for r in self.history(session, article_id) if r.number == number]
        if not old:
            raise KnowledgeError(N_("No such revision."), code="not_found")
        if article.status is ArticleStatus.PUBLISHED:
            self._manager(actor)
        versions = {r.locale: VersionText(r.title, r.body, r.short) for r in old}
        self._write(session, actor, article, versions, article.category.key if article.category else None,
                    article.product, article.tags, f"restored revision {number}")
        return article

    # -- question variants --------------------------------------------------------------------------
    def _new_variant(self, article: Article, locale: str, text: str, status: VariantStatus, source: str,
                     actor: Actor | None, ticket_id: int | None) -> QuestionVariant:
        if locale not in LOCALES:
            raise KnowledgeError(N_("Unknown language %(value)s."), field="locale", code="bad_locale", value=locale)
        if len(article.variants) >= MAX_VARIANTS:
            raise KnowledgeError(N_("Up to %(n)s questions per article."), field="variant", code="too_many",
                                 n=MAX_VARIANTS)
        variant = QuestionVariant(locale=locale, text=_variant_text(text), status=status, source=source,
                                  ticket_id=ticket_id, created_by_id=actor.user_id if actor else None)
        article.variants.append(variant)
        return variant

    def add_variant(self, session: Session, actor: Actor, article_id: int, locale: str, text: str, *,
                    candidate: bool = False, source: str = "author", ticket_id: int | None = None) -> QuestionVariant:
        """A way customers ask; a ``candidate`` (a customer's words) waits for a manager before it is matched."""
        if not candidate:
            self._writer(actor)
        article = self.get(session, article_id)
        folded = " ".join(_clean(text).split()).casefold()
        for existing in article.variants:
            if existing.text.casefold() == folded and existing.locale == locale:
                return existing
        variant = self._new_variant(article, locale, text,
                                    VariantStatus.CANDIDATE if candidate else VariantStatus.APPROVED,
                                    source, actor, ticket_id)
        reindex(article)
        self._changed(session, actor, article, "question_added", locale=locale, candidate=candidate)
        return variant

    def review_variant(self, session: Session, actor: Actor, variant_id: int, approve: bool) -> QuestionVariant:
        """Approve a candidate question (it is matched from now on) or dismiss it."""
        self._manager(actor)
        variant = session.get(QuestionVariant, variant_id)
        if variant is None:
            raise KnowledgeError(N_("No such question."), code="not_found")
        variant.status = VariantStatus.APPROVED if approve else VariantStatus.DISMISSED
        reindex(variant.article)
        self._changed(session, actor, variant.article, "question_reviewed", variant_id=variant.id,
                      approved=approve)
        return variant

    def set_variants(self, session: Session, actor: Actor, article_id: int,
                     variants: Sequence[tuple[str, str]]) -> Article:
        """The editor's list: the approved questions become exactly ``variants`` (candidates are left for review).

        A listed text that is a candidate is approved only by a manager (approving is review)."""
        self._writer(actor)
        article = self.get(session, article_id)
        if article.status is ArticleStatus.PUBLISHED:
            self._manager(actor)
        wanted: dict[tuple[str, str], tuple[str, str]] = {}
        for locale, text in variants:
            cleaned = _variant_text(text)
            wanted.setdefault((locale, cleaned.casefold()), (locale, cleaned))
        if len(wanted) > MAX_VARIANTS:
            raise KnowledgeError(N_("Up to %(n)s questions per article."), field="variant", code="too_many",
                                 n=MAX_VARIANTS)
        manager = actor.user is None or actor.role in MANAGERS
        added, removed = 0, 0
        for variant in list(article.variants):
            if variant.status is VariantStatus.APPROVED and (variant.locale, variant.text.casefold()) not in wanted:
                article.variants.remove(variant)
                removed += 1
        have = {(v.locale, v.text.casefold()): v for v in article.variants}
        for folded, (locale, text) in wanted.items():
            found = have.get(folded)
            if found is None:
                self._new_variant(article, locale, text, VariantStatus.APPROVED, "author", actor, None)
                added += 1
            elif found.status is not VariantStatus.APPROVED and manager:
                found.status = VariantStatus.APPROVED
                added += 1
        if added or removed:
            reindex(article)
            self._changed(session, actor, article, "questions_changed", added=added, removed=removed)
        return article

    def candidates(self, session: Session, limit: int = 200) -> list[QuestionVariant]:
        """Questions waiting for review, oldest first."""
        return list(session.scalars(select(QuestionVariant).where(QuestionVariant.status == VariantStatus.CANDIDATE)
                                    .order_by(QuestionVariant.id).limit(limit)))

    # -- from a ticket ------------------------------------------------------------------------------
    def from_ticket(self, session: Session, actor: Actor, ticket_id: int) -> Article:
        """A draft written from a solved ticket: its question is the first variant, its last answer the body."""
        ticket = session.get(TicketModel, ticket_id)
        if ticket is None:
            raise KnowledgeError(N_("No such ticket."), code="not_found")
        if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise KnowledgeError(N_("Write an article from a solved ticket."), code="not_solved")
        locale = locale_of(ticket.language)
        question = " ".join(_clean(ticket.description or ticket.subject).split())[:MAX_VARIANT]
        title = " ".join(_clean(ticket.subject or question).split())[:MAX_TITLE] or f"#{ticket.number}"
        notes = [n.body for n in ticket.notes if n.body and not n.template]
        body = notes[-1] if notes else ""
        return self.create(session, actor, versions={locale: VersionText(title, body, "")},
                           category=ticket.category if self._known(session, ticket.category) else None,
                           variants=[(locale, question)] if question else [], source_ticket_id=ticket.id,
                           note=f"from ticket {ticket.number}")

    @staticmethod
    def _known(session: Session, key: str | None) -> bool:
        found = session.scalar(select(KnowledgeCategory.id).where(KnowledgeCategory.key == key)) if key else None
        return found is not None
