"""The knowledge base: articles in English and Chinese, the ways customers ask, and what answered whom.

An article belongs to a category (the same key as a ticket's category, so
an IVR choice or a form's category finds its articles) and, optionally, a
product.  It has a version per language (title, body and a short answer
safe to say or text) and every save is a revision with its author.
``search_words`` is the version's text cut into words when it is saved
(callcenter/text): the index is built from it without segmenting again.

Every suggestion shown is a row with its raw score, its features and the
calibrated probability; an agent's "helpful / not helpful" on it is the
labelled data the calibration learns from.  Auto-reply decisions and the
customers' answers are rows too, so every "why did it say that" has one.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, created_at, intpk, str20, str40, str80, str200, str_enum, updated_at

LOCALES = ("en", "zh")


class ArticleStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class VariantStatus(str, enum.Enum):
    # Used for matching.
    APPROVED = "approved"
    # A customer's wording waiting for an editor (after a rejected auto-reply, or from a ticket).
    CANDIDATE = "candidate"
    DISMISSED = "dismissed"


class LinkKind(str, enum.Enum):
    LINKED = "linked"  # an agent said this article is about this ticket
    INSERTED = "inserted"  # its text went into a reply or note
    AUTO_REPLIED = "auto_replied"
    IVR = "ivr"  # the caller heard it in the IVR
    SOURCE = "source"  # the article was written from this ticket


class AutoReplyState(str, enum.Enum):
    PENDING = "pending"  # sent; waiting for the customer's yes or no
    ACCEPTED = "accepted"  # "yes": the ticket closed as self-served
    REJECTED = "rejected"  # "no": an agent takes it
    EXPIRED = "expired"  # no answer in time: an agent takes it


class KnowledgeCategory(Base):
    __tablename__ = "knowledge_categories"

    id: Mapped[intpk]
    key: Mapped[str80] = mapped_column(unique=True)
    name_en: Mapped[str200]
    name_zh: Mapped[str200] = mapped_column(default="")
    # Calibrated probability at or above which a ticket of this category is answered automatically.
    threshold: Mapped[float] = mapped_column(Float, default=0.75)
    auto_reply: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created_at]


class Article(Base):
    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_status_category", "status", "category_id"),)

    id: Mapped[intpk]
    # Short digits a caller keys in the IVR or an agent reads out ("1001").
    code: Mapped[str20] = mapped_column(unique=True)
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("knowledge_categories.id", ondelete="SET NULL"))
    product: Mapped[str80] = mapped_column(default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[ArticleStatus] = mapped_column(str_enum(ArticleStatus), default=ArticleStatus.DRAFT)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    source_ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    category: Mapped[Optional[KnowledgeCategory]] = relationship(lazy="joined")
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleVersion.locale", lazy="selectin")
    variants: Mapped[list[QuestionVariant]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="QuestionVariant.id")

    def version(self, locale: str) -> ArticleVersion | None:
        """This language's version, else the other one (an article may exist in one language only)."""
        found = {v.locale: v for v in self.versions}
        return found.get(locale) or found.get("en") or found.get("zh")


class ArticleVersion(Base):
    __tablename__ = "knowledge_versions"
    __table_args__ = (UniqueConstraint("article_id", "locale"),)

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    locale: Mapped[str20]
    title: Mapped[str200]
    body: Mapped[str] = mapped_column(Text, default="")
    # Plain, short and safe to say (text-to-speech) or text (one or two SMS): no links, no markup.
    short: Mapped[str] = mapped_column(Text, default="")
    # Title, variants, short answer and body cut into words, space-separated (see the module's docstring).
    search_words: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[updated_at]

    article: Mapped[Article] = relationship(back_populates="versions")


class ArticleRevision(Base):
    """One save of one language version, kept whole: the history, and what a rollback restores."""

    __tablename__ = "knowledge_revisions"
    __table_args__ = (Index("ix_knowledge_revisions_article", "article_id", "number"),)

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str20]
    title: Mapped[str200]
    body: Mapped[str] = mapped_column(Text, default="")
    short: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ArticleStatus] = mapped_column(str_enum(ArticleStatus))
    note: Mapped[str200] = mapped_column(default="")
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[created_at]


class QuestionVariant(Base):
    __tablename__ = "knowledge_variants"
    __table_args__ = (Index("ix_knowledge_variants_status", "status", "article_id"),)

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    locale: Mapped[str20]
    text: Mapped[str] = mapped_column(String(500))
    status: Mapped[VariantStatus] = mapped_column(str_enum(VariantStatus), default=VariantStatus.APPROVED)
    # author, ticket (written from a solved ticket), rejection (a customer's "no" to an auto-reply)
    source: Mapped[str20] = mapped_column(default="author")
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]

    article: Mapped[Article] = relationship(back_populates="variants")


class Suggestion(Base):
    """An article shown (or chosen by auto-reply or the IVR) for a question, with its scores."""

    __tablename__ = "knowledge_suggestions"
    __table_args__ = (Index("ix_knowledge_suggestions_ticket", "ticket_id"),
                      Index("ix_knowledge_suggestions_labelled", "helpful"))

    id: Mapped[intpk]
    at: Mapped[created_at]
    # desk, form, ticket, pop, auto_reply, ivr, search
    context: Mapped[str20]
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    call_id: Mapped[Optional[int]] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    category: Mapped[str80] = mapped_column(default="")
    query: Mapped[str] = mapped_column(Text, default="")
    rank: Mapped[int] = mapped_column(Integer, default=1)
    score: Mapped[float] = mapped_column(Float)
    features: Mapped[list[Any]] = mapped_column(default=list)
    probability: Mapped[float] = mapped_column(Float)
    matched: Mapped[list[str]] = mapped_column(default=list)
    helpful: Mapped[Optional[bool]] = mapped_column(Boolean)
    marked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[Optional[dt.datetime]] = mapped_column()


class TicketArticle(Base):
    __tablename__ = "ticket_articles"
    __table_args__ = (UniqueConstraint("ticket_id", "article_id", "kind"),)

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LinkKind] = mapped_column(str_enum(LinkKind))
    by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[created_at]


class AutoReplyDecision(Base):
    """Every look auto-reply took at a ticket, sent or not, with the score and the reason."""

    __tablename__ = "knowledge_decisions"

    id: Mapped[intpk]
    at: Mapped[created_at]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[Optional[int]] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    article_id: Mapped[Optional[int]] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="SET NULL"))
    probability: Mapped[float] = mapped_column(Float, default=0.0)
    threshold: Mapped[float] = mapped_column(Float, default=0.0)
    # sent, below_threshold, vip, angry, already, disabled, no_article, channel, uncalibrated, automatic, person,
    # no_address (callcenter/knowledge/autoreply.py: Outcome)
    outcome: Mapped[str20]


class AutoReply(Base):
    """The one automatic answer a ticket may get, and the customer's answer to it."""

    __tablename__ = "knowledge_auto_replies"

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    suggestion_id: Mapped[Optional[int]] = mapped_column(ForeignKey("knowledge_suggestions.id", ondelete="SET NULL"))
    message_id: Mapped[Optional[int]] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    probability: Mapped[float] = mapped_column(Float)
    # The secret in the "Yes / No" links (only its holder answers for the customer).
    token: Mapped[str40] = mapped_column(unique=True)
    state: Mapped[AutoReplyState] = mapped_column(str_enum(AutoReplyState), default=AutoReplyState.PENDING)
    question: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[created_at]
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column()


class Calibration(Base):
    """A fitted calibration: the raw score's features to a probability, and how well it did on its data."""

    __tablename__ = "knowledge_calibrations"

    id: Mapped[intpk]
    at: Mapped[created_at]
    coefficients: Mapped[list[Any]] = mapped_column(default=list)
    intercept: Mapped[float] = mapped_column(Float, default=0.0)
    positives: Mapped[int] = mapped_column(Integer, default=0)
    negatives: Mapped[int] = mapped_column(Integer, default=0)
    # Where the labels came from: {"seed": n, "agents": n}
    sources: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # [[mean predicted, observed fraction, count], ...] per bin: the reliability curve.
    curve: Mapped[list[Any]] = mapped_column(default=list)
    # [[threshold, precision, coverage], ...] on the labelled data.
    table: Mapped[list[Any]] = mapped_column(default=list)


class DictionaryWord(Base):
    """A word the admin taught the segmenter (a product name, a trade term jieba cuts in two)."""

    __tablename__ = "text_words"

    id: Mapped[intpk]
    word: Mapped[str40] = mapped_column(unique=True)
    added_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[created_at]


class KnowledgeState(Base):
    """One row: bumped on every change the in-memory indexes of other processes must pick up."""

    __tablename__ = "knowledge_state"

    id: Mapped[intpk]
    articles: Mapped[int] = mapped_column(Integer, default=0)
    dictionary: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[Optional[dt.datetime]] = mapped_column()


__all__ = ["LOCALES", "Article", "ArticleRevision", "ArticleStatus", "ArticleVersion", "AutoReply",
           "AutoReplyDecision", "AutoReplyState", "Calibration", "DictionaryWord", "KnowledgeCategory",
           "KnowledgeState", "LinkKind", "QuestionVariant", "Suggestion", "TicketArticle", "VariantStatus"]
