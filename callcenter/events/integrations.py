"""The knowledge base, webhooks, surveys and automation rules."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Event
from .tickets import TicketEvent


# -- the knowledge base ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ArticleChanged(Event, name="article_changed"):
    """An article was saved, published, archived or restored: every process's index picks it up."""

    article_id: int
    revision: int
    status: str
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class AutoReplySent(Event, name="auto_reply_sent"):
    """A ticket was answered with an article; the customer's yes or no is awaited."""

    ticket_id: int
    article_id: int
    probability: float


@dataclass(frozen=True, kw_only=True)
class AutoReplyAnswered(Event, name="auto_reply_answered"):
    """The customer said yes (``accepted``: closed as self-served), no (``rejected``) or nothing (``expired``)."""

    ticket_id: int
    article_id: int
    state: str


# -- webhooks -------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class WebhookEndpointChanged(Event, name="webhook_endpoint_changed"):
    """An endpoint was added, edited, switched on or off, or removed: every process reads the set-ups again."""

    endpoint_id: int
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class WebhookEndpointFailing(Event, name="webhook_endpoint_failing"):
    """A delivery ran out of retries: the endpoint is marked failing and the admins are told."""

    endpoint_id: int
    endpoint: str
    delivery_id: int
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class WebhookEndpointRecovered(Event, name="webhook_endpoint_recovered"):
    """A failing endpoint took a delivery again."""

    endpoint_id: int
    endpoint: str


# -- surveys and automation --------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SurveyAnswered(Event, name="survey_answered"):
    """A caller rated the call (1-5) in the IVR; ``ticket_id``: the call's ticket, if it had one."""

    survey_id: int
    score: int
    ticket_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class AutomationFired(TicketEvent, name="automation_fired"):
    """A rule's webhook action (an ERP's refund): what the receiver acts on, with the ticket as it is."""

    rule_id: int
    rule: str
    approval_id: int | None = None
    approved_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class AutomationRuleChanged(Event, name="automation_rule_changed"):
    """A rule was added, edited, reordered, switched on or off, or removed: every process reads them again."""

    rule_id: int
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class ApprovalRequested(TicketEvent, name="approval_requested"):
    """A rule's actions wait for someone of ``role``: their approvals queue shows it."""

    approval_id: int
    role: str
    rule: str


@dataclass(frozen=True, kw_only=True)
class ApprovalDecided(TicketEvent, name="approval_decided"):
    """Someone approved (the waiting actions ran) or rejected a rule's actions; the ticket's assignee is told."""

    approval_id: int
    approved: bool
    rule: str
    assignee_id: int | None = None
