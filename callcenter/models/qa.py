"""Quality assurance: versioned scorecards, reviews of calls, keyword rules and the tags they set."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, intpk, str20, str40, str80, str200, updated_at


class Scorecard(Base):
    """One version of a checklist; editing adds a version so old reviews keep their meaning."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("slug", "version"),)

    id: Mapped[intpk]
    slug: Mapped[str80]
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str200]
    # [{"key": "greeting", "label": "...", "weight": 2.0, "fail_all": false}, ...]
    items: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]


class QAReview(Base):
    """A reviewer's filled scorecard for one call; the score is computed on the server."""

    __tablename__ = "qa_reviews"
    __table_args__ = (Index("ix_qa_reviews_agent_created", "agent_id", "created_at"),)

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="RESTRICT"))
    reviewer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The agent who answered the call, kept as it was when reviewed (for trends).
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # {"greeting": {"result": "pass"|"fail"|"na", "comment": "..."}, ...}
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    # 0..100; None when every item was "not applicable".
    score: Mapped[Optional[float]]
    failed_fail_all: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]


class KeywordRule(Base):
    """Phrases heard in a transcript -> a tag on the call and its tickets (and a pre-marked item)."""

    __tablename__ = "keyword_rules"

    id: Mapped[intpk]
    name: Mapped[str80]
    phrases: Mapped[list[str]] = mapped_column(default=list)
    tag: Mapped[str40]
    # The scorecard item key to pre-select on the review form, and as what.
    scorecard_item: Mapped[Optional[str80]]
    mark: Mapped[str20] = mapped_column(default="fail")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class CallTag(Base):
    """A tag on a call, set by a keyword rule; ``hits`` are the words that matched."""

    __tablename__ = "call_tags"
    __table_args__ = (UniqueConstraint("call_id", "tag"), Index("ix_call_tags_tag", "tag"))

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    tag: Mapped[str40]
    rule_id: Mapped[Optional[int]] = mapped_column(ForeignKey("keyword_rules.id", ondelete="SET NULL"))
    # [{"w": "refund", "start": 12.3, "speaker": "caller"}, ...] (at most a few)
    hits: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[created_at]


__all__ = ["CallTag", "KeywordRule", "QAReview", "Scorecard"]
