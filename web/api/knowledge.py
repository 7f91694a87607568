"""API: the knowledge base's articles: find them (searched or listed), read one, write drafts, save, publish.

The same roles as the pages: everyone reads (QA the published articles
only), the desk roles write (a new article is a draft; a published one
changes only by a supervisor or an admin), supervisors and admins publish,
archive and return to draft.  A refusal of the service is a problem naming
the field in the API's terms (``versions.zh.short``, ``questions``).
"""
from __future__ import annotations

from typing import NoReturn

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from callcenter.access import roles
from callcenter.i18n import N_
from callcenter.inputs.parsers import MAX_OFFSET
from callcenter.knowledge import listing
from callcenter.knowledge.articles import KnowledgeError, VersionText
from callcenter.models import Article, ArticleStatus

from ..db import get_db
from .knowledge_schemas import (
    ArticleIn,
    ArticleOut,
    ArticlePatch,
    ArticlePut,
    ArticleRowOut,
    Locale,
    StatusIn,
    VersionIn,
)
from .registry import ApiError, api_actor, api_user, args, body, container, endpoint, page, refused
from .spec import MAX_PAGE, Param

STATUS_FILTER = Param.choice("status", listing.STATUS_CHOICES)
PRODUCT = Param("product", {"type": "string", "maxLength": 80})


def _writes() -> bool:
    return api_user().role in roles.DESK


def _refusal(db: Session, exc: KnowledgeError) -> NoReturn:
    """The service's refusal as a problem: 403 for a role, 404 for a missing record, else 422 on its field."""
    db.rollback()
    if exc.code == "forbidden":
        raise ApiError(403, "forbidden", str(exc))
    if exc.code == "not_found":
        raise ApiError(404, "not_found", str(exc))
    name = exc.field or "_"
    if name.rsplit("_", 1)[-1] in ("en", "zh") and name.count("_") == 1:
        text, locale = name.split("_")
        name = f"versions.{locale}.{text}"
    elif name == "variant":
        name = "questions"
    raise ApiError(422, exc.code or "invalid", str(exc), {name: str(exc)})


def _article(article_id: int) -> Article:
    """The article, if the caller may read it (drafts and archived ones are the writers')."""
    db = get_db()
    article = db.get(Article, article_id)
    if article is None:
        raise ApiError(404, "not_found", "no such article")
    if article.status is not ArticleStatus.PUBLISHED and not _writes():
        refused("article", article_id)
    return article


def _texts(versions: dict[Locale, VersionIn]) -> dict[str, VersionText]:
    return {loc: VersionText(v.title, v.body, v.short) for loc, v in versions.items()}


def _committed(db: Session) -> None:
    """Commit, and have this process's index look at the database now (the client may search next)."""
    db.commit()
    container().knowledge_index.refresh()


def _one(article: Article, status: int = 200) -> ResponseReturnValue:
    return jsonify(ArticleOut.of(article).model_dump(mode="json")), status


@endpoint("GET", "/knowledge/articles", roles=roles.EVERYONE, scope="knowledge:read",
          summary=N_("Find articles: ranked by a search (q), or the most recently changed first"),
          response=ArticleRowOut, many=True, params=("q", "category", PRODUCT, "tag", STATUS_FILTER, "limit", "offset"))
def list_articles() -> ResponseReturnValue:
    read = args()
    statuses = listing.statuses(read.choice("status", listing.STATUS_CHOICES), _writes())
    tag = read.text("tag", 40).casefold()
    filters = listing.Filters(q=read.text("q", 100), category=read.text("category", 80),
                              product=read.text("product", 80), tags=(tag,) if tag else (), statuses=statuses)
    if not filters.q:
        return page(listing.browse(filters), ArticleRowOut.row)
    limit = read.whole("limit", 1, MAX_PAGE) or 50
    offset = read.whole("offset", 0, MAX_OFFSET) or 0
    found = listing.search(get_db(), container().suggester, filters, "en")
    items = [ArticleRowOut.of(f).model_dump(mode="json") for f in found[offset:offset + limit]]
    return jsonify(items=items, total=len(found), limit=limit, offset=offset)


@endpoint("GET", "/knowledge/articles/<int:article_id>", roles=roles.EVERYONE, scope="knowledge:read",
          summary=N_("One article: its text in each language, its short answer and its questions"),
          response=ArticleOut)
def get_article(article_id: int) -> ResponseReturnValue:
    return _one(_article(article_id))


@endpoint("POST", "/knowledge/articles", roles=roles.DESK, scope="knowledge:write",
          summary=N_("Write an article (a draft, until a supervisor publishes it)"), request_model=ArticleIn,
          response=ArticleOut, status=201)
def create_article() -> ResponseReturnValue:
    db = get_db()
    data = body(ArticleIn)
    try:
        article = container().articles.create(
            db, api_actor(), versions=_texts(data.versions), category=data.category or None,
            product=data.product, tags=data.tags, variants=[(str(q.locale), q.text) for q in data.questions],
            note=data.note)
    except KnowledgeError as exc:
        _refusal(db, exc)
    _committed(db)
    return _one(article, 201)


@endpoint("PUT", "/knowledge/articles/<int:article_id>", roles=roles.DESK, scope="knowledge:write",
          summary=N_("Save the whole article as a new revision (a published one: supervisors and admins)"),
          request_model=ArticlePut, response=ArticleOut)
def put_article(article_id: int) -> ResponseReturnValue:
    article = _article(article_id)
    data = body(ArticlePut)
    return _save(article, _texts(data.versions), data.category or None, data.product, data.tags,
                 [(str(q.locale), q.text) for q in data.questions], data.note)


@endpoint("PATCH", "/knowledge/articles/<int:article_id>", roles=roles.DESK, scope="knowledge:write",
          summary=N_("Change part of an article as a new revision (what is left out stays)"),
          request_model=ArticlePatch, response=ArticleOut)
def patch_article(article_id: int) -> ResponseReturnValue:
    article = _article(article_id)
    data = body(ArticlePatch)
    versions = {v.locale: VersionText(v.title, v.body, v.short) for v in article.versions}
    for locale, given in (data.versions or {}).items():
        if given is None:
            versions.pop(locale, None)
        else:
            versions[locale] = VersionText(given.title, given.body, given.short)
    category = (article.category.key if article.category else None) if data.category is None else data.category
    questions = None if data.questions is None else [(str(q.locale), q.text) for q in data.questions]
    return _save(article, versions, category or None, article.product if data.product is None else data.product,
                 article.tags if data.tags is None else data.tags, questions, data.note)


def _save(article: Article, versions: dict[str, VersionText], category: str | None, product: str, tags: list[str],
          questions: list[tuple[str, str]] | None, note: str) -> ResponseReturnValue:
    db, service, who = get_db(), container().articles, api_actor()
    try:
        service.save(db, who, article.id, versions=versions, category=category, product=product, tags=list(tags),
                     note=note)
        if questions is not None:
            service.set_variants(db, who, article.id, questions)
    except KnowledgeError as exc:
        _refusal(db, exc)
    _committed(db)
    return _one(article)


@endpoint("POST", "/knowledge/articles/<int:article_id>/status", roles=roles.MANAGERS, scope="knowledge:write",
          summary=N_("Publish an article, archive it or return it to draft"), request_model=StatusIn,
          response=ArticleOut)
def set_article_status(article_id: int) -> ResponseReturnValue:
    article = _article(article_id)
    data = body(StatusIn)
    db = get_db()
    try:
        container().articles.set_status(db, api_actor(), article.id, ArticleStatus(data.status))
    except KnowledgeError as exc:
        _refusal(db, exc)
    _committed(db)
    return _one(article)
