"""API shapes of knowledge-base articles: one article whole, a list's rows, and what a client may send."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from callcenter.i18n import N_
from callcenter.knowledge.articles import MAX_TAGS, MAX_TITLE, MAX_VARIANT, MAX_VARIANTS
from callcenter.knowledge.listing import Found
from callcenter.models import Article, ArticleVersion, QuestionVariant

from .schemas import STRICT, Text

Locale = Literal["en", "zh"]
Status = Literal["draft", "published", "archived"]


class VersionOut(BaseModel):
    locale: Locale
    title: str
    body: str
    short: str = Field(description=N_("The short answer: plain, safe to say in the IVR and to send by SMS"))

    @classmethod
    def of(cls, v: ArticleVersion) -> VersionOut:
        return cls(locale="zh" if v.locale == "zh" else "en", title=v.title, body=v.body, short=v.short)


class QuestionOut(BaseModel):
    id: int
    locale: str
    text: str
    status: Literal["approved", "candidate", "dismissed"]
    source: str

    @classmethod
    def of(cls, v: QuestionVariant) -> QuestionOut:
        return cls(id=v.id, locale=v.locale, text=v.text, status=v.status.value, source=v.source)


class ArticleOut(BaseModel):
    id: int
    code: str = Field(description=N_("The digits a caller keys in the IVR or an agent reads out"))
    status: Status
    category: str | None
    product: str
    tags: list[str]
    revision: int
    versions: list[VersionOut]
    questions: list[QuestionOut] = Field(description=N_("The ways customers ask, per language"))
    source_ticket_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, a: Article) -> ArticleOut:
        return cls(id=a.id, code=a.code, status=a.status.value, category=a.category.key if a.category else None,
                   product=a.product, tags=list(a.tags or []), revision=a.revision,
                   versions=[VersionOut.of(v) for v in a.versions], questions=[QuestionOut.of(v) for v in a.variants],
                   source_ticket_id=a.source_ticket_id, created_at=a.created_at, updated_at=a.updated_at)


class TitleOut(BaseModel):
    locale: Locale
    title: str
    short: str


class ArticleRowOut(BaseModel):
    id: int
    code: str
    status: Status
    category: str | None
    product: str
    tags: list[str]
    revision: int
    titles: list[TitleOut]
    matched: list[str] = Field(description=N_("The words of the query the article matched (a search only)"))
    probability: float | None = Field(description=N_("How likely the article answers the query, 0 to 1 "
                                                     "(published articles found by a search only)"))
    updated_at: dt.datetime

    @classmethod
    def of(cls, found: Found) -> ArticleRowOut:
        a = found.article
        return cls(id=a.id, code=a.code, status=a.status.value, category=a.category.key if a.category else None,
                   product=a.product, tags=list(a.tags or []), revision=a.revision,
                   titles=[TitleOut(locale="zh" if v.locale == "zh" else "en", title=v.title, short=v.short)
                           for v in a.versions],
                   matched=list(found.matched), probability=found.probability, updated_at=a.updated_at)

    @classmethod
    def row(cls, a: Article) -> ArticleRowOut:
        return cls.of(Found(a))


class VersionIn(BaseModel):
    model_config = STRICT
    title: Text = Field(min_length=1, max_length=MAX_TITLE)
    body: Text = Field(default="", max_length=50_000)
    short: Text = Field(default="", max_length=1000,
                        description=N_("Plain sentences, no links or markup, at most two SMS"))


class QuestionIn(BaseModel):
    model_config = STRICT
    locale: Locale
    text: Text = Field(min_length=1, max_length=MAX_VARIANT)


Tag = Text
Versions = dict[Locale, VersionIn]


class ArticleIn(BaseModel):
    """A new article: always a draft (a supervisor publishes it)."""

    model_config = STRICT
    versions: Versions = Field(min_length=1, description=N_("The article's text per language (en, zh)"))
    category: Text | None = Field(default=None, max_length=80, description=N_("A knowledge category's key"))
    product: Text = Field(default="", max_length=80)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    questions: list[QuestionIn] = Field(default_factory=list, max_length=MAX_VARIANTS)
    note: Text = Field(default="", max_length=200, description=N_("What changed, for the history"))


class ArticlePut(ArticleIn):
    """The whole article (a new revision): languages left out are removed, the approved questions replaced."""


class ArticlePatch(BaseModel):
    """Only what is sent changes; a language set to null is removed."""

    model_config = STRICT
    versions: dict[Locale, VersionIn | None] | None = None
    category: Text | None = Field(default=None, max_length=80, description=N_("A category's key; \"\" for none"))
    product: Text | None = Field(default=None, max_length=80)
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    questions: list[QuestionIn] | None = Field(default=None, max_length=MAX_VARIANTS)
    note: Text = Field(default="", max_length=200)


class StatusIn(BaseModel):
    model_config = STRICT
    status: Status
