"""Tickets: what the agent promised the caller, and every change made to it."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text.search import POSTGRES_FTS, SQLITE_FTS, index_words
from .base import Base, created_at, intpk, str20, str40, str80, str200, str_enum, updated_at


class Priority(str, enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(str, enum.Enum):
    NEW = "new"
    OPEN = "open"
    # Waiting on the customer: the SLA clock is paused.
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


# A ticket in one of these still owes the caller something.
OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_priority", "status", "priority"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        # Similar open tickets read the newest open ones of a window, of one category or any
        # (problems/similar.py): without these a million tickets meant sorting every open one.
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_status_category_created", "status", "category", "created_at"),
        # The similar-ticket window reads only what changed since its last look (problems/window.py).
        Index("ix_tickets_updated_at", "updated_at"),
    )

    id: Mapped[intpk]
    # Digits only with a check digit, so a caller can key it on the phone.
    number: Mapped[Optional[str20]] = mapped_column(unique=True)
    subject: Mapped[str200] = mapped_column(default="")
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str80] = mapped_column(default="general")
    priority: Mapped[Priority] = mapped_column(str_enum(Priority), default=Priority.NORMAL)
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus), default=TicketStatus.NEW)
    source: Mapped[str20] = mapped_column(default="phone")
    customer_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    # The call the ticket was opened from; a call opens at most one ticket.
    origin_call_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("calls.id", ondelete="SET NULL"), unique=True
    )
    queue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    needed_skill_id: Mapped[Optional[int]] = mapped_column(ForeignKey("skills.id", ondelete="SET NULL"))
    language: Mapped[Optional[str20]]
    tags: Mapped[list[str]] = mapped_column(default=list)
    first_response_due_at: Mapped[Optional[dt.datetime]]
    resolution_due_at: Mapped[Optional[dt.datetime]]
    first_responded_at: Mapped[Optional[dt.datetime]]
    resolved_at: Mapped[Optional[dt.datetime]]
    closed_at: Mapped[Optional[dt.datetime]]
    # SLA clock pause while waiting on the customer.
    sla_paused_at: Mapped[Optional[dt.datetime]]
    sla_paused_seconds: Mapped[float] = mapped_column(default=0.0)
    # Why a person should look before trusting it: "unverified_sender" (a stranger quoted this
    # ticket's number), "auto_reply" ...; null for an ordinary ticket.
    flagged: Mapped[Optional[str40]]
    # Subject and description cut into words (callcenter/text), kept by ``search.keep_words`` on every
    # write; the full-text index (FTS5 on SQLite, to_tsvector('simple') on PostgreSQL) is built over it.
    search_words: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    # One problem, many callers: a problem ticket has incident tickets, each pointing at it (problems/links.py).
    is_problem: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    problem_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    # Merged into another ticket (closed, its messages, calls and notes moved there): replies and calls about
    # this one go to that one (problems/merging.py).
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    changes: Mapped[list[TicketChange]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketChange.id"
    )
    notes: Mapped[list[TicketNote]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketNote.id"
    )
    # Loaded with the page of tickets they belong to (the API lists them with each ticket).
    references: Mapped[list[TicketReference]] = relationship(
        cascade="all, delete-orphan", order_by="TicketReference.id", lazy="selectin"
    )


@event.listens_for(Ticket, "before_insert")
@event.listens_for(Ticket, "before_update")
def _keep_words(mapper: Any, connection: Any, ticket: Ticket) -> None:
    """Every writer (desk, API, channels, imports) keeps the words in step with the subject and description."""
    state = inspect(ticket)
    if state.pending or state.attrs.subject.history.has_changes() or state.attrs.description.history.has_changes():
        ticket.search_words = index_words(ticket.subject, ticket.description)


@event.listens_for(Ticket.__table__, "after_create")
def _create_search_index(table: Any, connection: Any, **kw: Any) -> None:
    """A schema made by ``create_all`` (a scratch database, a test) gets the search index the migration makes."""
    for statement in SQLITE_FTS if connection.dialect.name == "sqlite" else POSTGRES_FTS:
        connection.exec_driver_sql(statement)


class TicketReference(Base):
    """The ticket's record in another system (the ERP's return, the CRM's case): one such record names one
    ticket, so the other system finds the ticket again by its own id."""

    __tablename__ = "ticket_references"
    __table_args__ = (UniqueConstraint("system", "ref"),)

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    system: Mapped[str40]  # "erp", "crm", "shop" ... lower-case, as the integration names itself
    ref: Mapped[str200]
    url: Mapped[Optional[str]] = mapped_column(String(2000))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]


class TicketMerge(Base):
    """One merge of a ticket into another: what moved (ids by kind), so it can be undone for a day."""

    __tablename__ = "ticket_merges"

    id: Mapped[intpk]
    source_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # {"messages": [ids], "calls": [...], "notes": [...], "callbacks": [...], "incidents": [...], "articles": [...]}
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_status: Mapped[str20]  # what the merged ticket's status was, for the undo
    source_was_problem: Mapped[bool] = mapped_column(default=False)
    by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    undone_at: Mapped[Optional[dt.datetime]]
    undone_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TicketChange(Base):
    """One row per field change (django-helpdesk style): the ticket's history."""

    __tablename__ = "ticket_changes"

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # Null when the system (dispatcher, SLA timer) made the change.
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str40]
    old_value: Mapped[Optional[str]] = mapped_column(Text)
    new_value: Mapped[Optional[str]] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    # A reason the system gave (dispatcher, SLA, transfers): its message id and values, so each
    # reader sees it in their own language; ``reason`` keeps the English text (API, exports).
    reason_template: Mapped[Optional[str]] = mapped_column(String(300))
    reason_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_at]

    ticket: Mapped[Ticket] = relationship(back_populates="changes")


class TicketNote(Base):
    __tablename__ = "ticket_notes"

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(default=True)
    # A note the system wrote (dispatcher, callbacks): its message id and values, so each reader
    # sees it in their own language and time zone; ``body`` keeps the English text (API, exports).
    template: Mapped[Optional[str]] = mapped_column(String(300))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_at]

    ticket: Mapped[Ticket] = relationship(back_populates="notes")


class FormDefinition(Base):
    """A versioned intake form; old tickets keep the version they were filed with."""

    __tablename__ = "form_definitions"
    __table_args__ = (UniqueConstraint("slug", "version"),)

    id: Mapped[intpk]
    slug: Mapped[str80]
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str200]
    category: Mapped[str80]
    schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The TOML text as written, comments kept, for the forms editor (None: stored before texts were kept).
    source: Mapped[Optional[str]] = mapped_column(Text)
    # Only the latest version of a slug can be active; an admin may deactivate it (the desk stops offering it).
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]


class SubmissionStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class FormSubmission(Base):
    __tablename__ = "form_submissions"

    id: Mapped[intpk]
    form_id: Mapped[int] = mapped_column(ForeignKey("form_definitions.id", ondelete="RESTRICT"))
    call_id: Mapped[Optional[int]] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[SubmissionStatus] = mapped_column(
        str_enum(SubmissionStatus), default=SubmissionStatus.DRAFT
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    wrapup_code: Mapped[Optional[str40]]
    # Submitting twice with the same key creates one ticket.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
