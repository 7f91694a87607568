"""Finding articles to read or edit: the list's filters, and a search that ranks what customers can be given.

Published articles are found by the index (``suggest``: the same words,
folding and ranking the desk's suggestions use, so a traditional-character
or two-character query finds what it would find there), each with the words
it matched.  Drafts and archived articles are not in the index; editors find
them by their titles.  An article's code ("1001", what a caller keys in the
IVR) finds it whatever its status.  The page and the API list the same way.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, String, cast, or_, select
from sqlalchemy.orm import Session

from ..models import Article, ArticleStatus, ArticleVersion, KnowledgeCategory
from ..text.normal import simplified
from .suggest import Suggester

CURRENT = (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT)
# What a list may ask for: "current" (published and drafts, the default), one status, or all of them.
STATUS_CHOICES = ("current", "published", "draft", "archived", "all")
SEARCHED = 50  # ranked published articles a search shows (the index's best; more is noise)
TITLED = 200  # drafts and archived articles a title search shows
LIKE_ESCAPE = "/"


@dataclass(frozen=True)
class Filters:
    q: str = ""
    category: str = ""
    product: str = ""
    tags: tuple[str, ...] = ()
    statuses: tuple[ArticleStatus, ...] = CURRENT


@dataclass(frozen=True)
class Found:
    """An article a search found: the words it matched (ranked ones) and the probability it answers the query."""

    article: Article
    matched: tuple[str, ...] = ()
    probability: float | None = None


def statuses(chosen: str | None, writer: bool) -> tuple[ArticleStatus, ...]:
    """The statuses a list shows: readers who do not write see published articles only, whatever they ask."""
    if not writer:
        return (ArticleStatus.PUBLISHED,)
    if chosen == "all":
        return tuple(ArticleStatus)
    if chosen in ("published", "draft", "archived"):
        return (ArticleStatus(chosen),)
    return CURRENT


def _like(text: str) -> str:
    """``text`` inside a LIKE pattern, its wildcards and the escape character taken literally."""
    return "%" + "".join(LIKE_ESCAPE + c if c in "%_" + LIKE_ESCAPE else c for c in text) + "%"


def _has_tag(tag: str) -> Any:
    """The tag in the stored JSON list, as SQLAlchemy wrote it (ASCII escapes) or as a JSON type may return it."""
    spelled = {json.dumps(tag), '"' + tag.replace("\\", "\\\\").replace('"', '\\"') + '"'}
    return or_(*(cast(Article.tags, String).like(_like(s), escape=LIKE_ESCAPE) for s in spelled))


def browse(filters: Filters) -> Select[tuple[Article]]:
    """Every article passing the filters (the query aside), most recently changed first."""
    query = select(Article).where(Article.status.in_(filters.statuses))
    if filters.category:
        query = query.join(KnowledgeCategory, KnowledgeCategory.id == Article.category_id).where(
            KnowledgeCategory.key == filters.category)
    if filters.product:
        query = query.where(Article.product == filters.product)
    for tag in filters.tags:
        query = query.where(_has_tag(tag))
    return query.order_by(Article.updated_at.desc(), Article.id.desc())


def titled(filters: Filters) -> Select[tuple[Article]]:
    """The filtered articles whose title (in either language) holds the query, as typed or in simplified form."""
    spellings = {filters.q.strip(), simplified(filters.q.strip())} - {""}
    holds = or_(*(ArticleVersion.title.ilike(_like(s), escape=LIKE_ESCAPE) for s in spellings))
    return browse(filters).where(Article.id.in_(select(ArticleVersion.article_id).where(holds)))


def search(session: Session, suggester: Suggester, filters: Filters, locale: str) -> list[Found]:
    """The article whose code is the query, then the ranked published ones, then drafts and archived by title."""
    q = filters.q.strip()
    if not q:
        return []
    found: list[Found] = []
    if q.isdigit():
        coded = session.scalar(browse(filters).where(Article.code == q))
        if coded is not None:
            found.append(Found(coded))
    if ArticleStatus.PUBLISHED in filters.statuses:
        hits = suggester.suggest(session, q, k=SEARCHED, category=filters.category or None, tags=filters.tags,
                                 product=filters.product or None, strict_category=True, locale=locale)
        articles = {a.id: a for a in session.scalars(select(Article).where(
            Article.id.in_([h.article_id for h in hits])))}
        found += [Found(articles[h.article_id], h.matched, h.probability) for h in hits if h.article_id in articles]
    others = tuple(s for s in filters.statuses if s is not ArticleStatus.PUBLISHED)
    if others:
        found += [Found(a) for a in session.scalars(titled(replace(filters, statuses=others)).limit(TITLED))]
    unique: dict[int, Found] = {}
    for item in found:
        unique.setdefault(item.article.id, item)  # a code match may be ranked too: shown once, first
    return list(unique.values())


def products(session: Session) -> Sequence[str]:
    """The products articles name (the editor's suggestions and the list's filter)."""
    return session.scalars(select(Article.product).where(Article.product != "").distinct()
                           .order_by(Article.product)).all()


def categories(session: Session) -> Sequence[KnowledgeCategory]:
    return session.scalars(select(KnowledgeCategory).order_by(KnowledgeCategory.key)).all()
