"""Automation: rules an admin writes (when, if, then), the events waiting for them, each rule's run on
each event, the approvals a rule asks for, and customer tags and segments.

An event a rule wants is written to ``automation_events`` in the change's own transaction (as the webhook
outbox is), so no committed change misses its rules.  ``automation_runs`` is unique per event and rule:
a rule runs at most once per event, even when a worker dies and another takes the event again.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, intpk, str20, str40, str80, str200, str_enum, updated_at


class AutomationRule(Base):
    """One rule, kept as the TOML text the admin wrote; ``when`` is copied out of it to find rules fast."""

    __tablename__ = "automation_rules"

    id: Mapped[intpk]
    name: Mapped[str200]
    # Rules run in this order (then by id).
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    when: Mapped[str40]
    definition: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class AutomationEventStatus(str, enum.Enum):
    QUEUED = "queued"
    DONE = "done"


class AutomationEvent(Base):
    """An event some active rule wants, waiting for the automation service."""

    __tablename__ = "automation_events"
    __table_args__ = (Index("ix_automation_events_status", "status", "id"),)

    id: Mapped[intpk]
    name: Mapped[str40]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ticket_id: Mapped[Optional[int]] = mapped_column(Integer)
    status: Mapped[AutomationEventStatus] = mapped_column(str_enum(AutomationEventStatus),
                                                          default=AutomationEventStatus.QUEUED)
    created_at: Mapped[created_at]
    done_at: Mapped[Optional[dt.datetime]]


class RunOutcome(str, enum.Enum):
    DONE = "done"  # conditions held; every action ran
    NOT_MET = "not_met"  # a condition did not hold
    FAILED = "failed"  # an action failed: nothing of this rule was kept, the change stands
    WAITING = "waiting"  # done up to an approval; the rest runs when it is given


class AutomationRun(Base):
    __tablename__ = "automation_runs"
    __table_args__ = (UniqueConstraint("event_id", "rule_id"), Index("ix_automation_runs_rule", "rule_id", "id"))

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("automation_events.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("automation_rules.id", ondelete="CASCADE"))
    ticket_id: Mapped[Optional[int]] = mapped_column(Integer)
    outcome: Mapped[RunOutcome] = mapped_column(str_enum(RunOutcome))
    # What each action did ("set_priority high"), or why it failed.
    did: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[created_at]


class ApprovalStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Approval(Base):
    """A rule's actions that wait for someone of ``role`` to approve them (a refund's ERP webhook)."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_status", "status", "id"),)

    id: Mapped[intpk]
    rule_id: Mapped[Optional[int]] = mapped_column(ForeignKey("automation_rules.id", ondelete="SET NULL"))
    rule_name: Mapped[str200]
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    role: Mapped[str20]
    # What the approver reads: the rule's words for it.
    reason: Mapped[str] = mapped_column(Text, default="")
    # The actions to run on approval, as the rule defines them.
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[ApprovalStatus] = mapped_column(str_enum(ApprovalStatus), default=ApprovalStatus.PENDING)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[Optional[dt.datetime]]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]


class TagSource(str, enum.Enum):
    AGENT = "agent"  # set by hand at the desk or on the customer's page
    RULE = "rule"  # an automation rule set it
    CRM = "crm"  # the CRM's sync through the API


class CustomerTag(Base):
    __tablename__ = "customer_tags"
    __table_args__ = (UniqueConstraint("customer_id", "tag"), Index("ix_customer_tags_tag", "tag"))

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str80]
    source: Mapped[TagSource] = mapped_column(str_enum(TagSource), default=TagSource.AGENT)
    # None: kept until removed.  A tag past it no longer counts, and the sweep removes it (audited).
    expires_at: Mapped[Optional[dt.datetime]]
    added_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]


class Segment(Base):
    """A saved filter on customers' tags and fields, and what its members get: queue priority in the IVR,
    senior agents, a stricter SLA."""

    __tablename__ = "segments"

    id: Mapped[intpk]
    name: Mapped[str80] = mapped_column(unique=True)
    name_zh: Mapped[str80] = mapped_column(default="")
    # Members have every tag of ``tags_all`` and, when it is not empty, one of ``tags_any``.
    tags_all: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags_any: Mapped[list[str]] = mapped_column(JSON, default=list)
    # And, when not empty, one of these VIP tiers and of these languages.
    vip_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    queue_priority: Mapped[int] = mapped_column(Integer, default=0)
    senior: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_minutes: Mapped[Optional[int]] = mapped_column(Integer)
    resolution_minutes: Mapped[Optional[int]] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
