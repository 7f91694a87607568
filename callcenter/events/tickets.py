"""Tickets, their messages, their SLA clocks, and incidents (one problem, many callers)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .base import Event


# -- tickets --------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class TicketEvent(Event):
    """Something happened to one ticket; ``actor`` names who did it (a user, ``dispatcher`` ...)."""

    ticket_id: int
    number: str | None = None
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class TicketCreated(TicketEvent, name="ticket_created"):
    """A new ticket, from the desk, the API or a channel: the dispatcher assigns it."""

    call_id: int | None = None
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketUpdated(TicketEvent, name="ticket_updated"):
    """Fields of a ticket changed (status, priority, queue ...) or a call was attached."""

    fields: list[str] = dataclasses.field(default_factory=list)
    call_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TicketLinked(TicketEvent, name="ticket_linked"):
    """The ticket became an incident of a problem ticket (the same fault as other callers')."""

    problem_id: int
    problem_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketUnlinked(TicketEvent, name="ticket_unlinked"):
    """The ticket is no longer an incident of that problem."""

    problem_id: int
    problem_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketMerged(TicketEvent, name="ticket_merged"):
    """The ticket was merged into another (closed; its messages, calls and notes moved there)."""

    into_id: int
    into_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketMergeUndone(TicketEvent, name="ticket_merge_undone"):
    """A merge was undone: the ticket has its messages, calls and notes back."""

    into_id: int
    into_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketAssigned(TicketEvent, name="ticket_assigned"):
    """The ticket has a new assignee; ``route`` says how (skills, fallback, manual ...)."""

    agent_id: int
    route: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketNoteAdded(TicketEvent, name="ticket_note_added"):
    """A note on the ticket: internal, or a public reply."""

    note_id: int
    internal: bool = True


@dataclass(frozen=True, kw_only=True)
class MessageEvent(TicketEvent):
    """A message in the ticket's conversation (``channel``: email, web, wechat, sms, phone)."""

    message_id: int
    channel: str
    direction: str
    visibility: str = "public"


@dataclass(frozen=True, kw_only=True)
class MessageReceived(MessageEvent, name="message_received"):
    """A channel delivered a new message to the ticket (a re-delivered one is not announced again)."""


@dataclass(frozen=True, kw_only=True)
class MessageQueued(MessageEvent, name="message_queued"):
    """A public reply waits to be sent: its channel's sender picks it up."""


@dataclass(frozen=True, kw_only=True)
class MessageSent(MessageEvent, name="message_sent"):
    """The channel took a reply (an SMTP server, WeChat's API, the SMS gateway)."""


@dataclass(frozen=True, kw_only=True)
class MessageFailed(MessageEvent, name="message_failed"):
    """A reply could not be sent and will not be tried again: a person should look."""

    error: str = ""


@dataclass(frozen=True, kw_only=True)
class SLAEvent(TicketEvent):
    """A promise on the ticket is at risk; ``what`` is the clock or the escalation step."""

    what: str
    assignee_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class SLAWarning(SLAEvent, name="sla_warning"):
    """Most of the time allowed for a first response or resolution is used."""


@dataclass(frozen=True, kw_only=True)
class SLABreach(SLAEvent, name="sla_breach"):
    """The time allowed is over."""


@dataclass(frozen=True, kw_only=True)
class SLAEscalated(SLAEvent, name="sla_escalated"):
    """One escalation step ran (notify, raise priority, reassign, supervisor)."""


# -- incidents ----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class IncidentEvent(Event):
    """An incident's state moved: the wallboard alerts, the IVR's message follows, the dispatcher tells."""

    incident_id: int
    status: str
    problem_id: int | None = None
    queue: str | None = None
    category: str | None = None
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class IncidentProposed(IncidentEvent, name="incident_proposed"):
    """More similar tickets or calls than the rate allows: a supervisor should look (the wallboard says so)."""

    seen: int
    window_minutes: int


@dataclass(frozen=True, kw_only=True)
class IncidentDeclared(IncidentEvent, name="incident_declared"):
    """Callers of its queue or category now hear the message before the menu."""


@dataclass(frozen=True, kw_only=True)
class IncidentEnded(IncidentEvent, name="incident_ended"):
    """No more message; ``solved``: the subscribers are due to be told (the dispatcher calls them)."""

    solved: bool


@dataclass(frozen=True, kw_only=True)
class IncidentSubscribed(IncidentEvent, name="incident_subscribed"):
    """A caller pressed 1 to be told when it is fixed."""

    subscription_id: int
