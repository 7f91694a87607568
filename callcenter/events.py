"""Every event the bus carries, by name, with the payload it holds.

One class per event; publishers build one (``bus.publish(TicketCreated(...))``)
and subscribers name the class (``bus.subscribe(TicketCreated, handler)``), so
this module is where a reader finds every event and, by searching for the
class, every publisher and listener.  Payloads are ids and small facts: a
listener looks the rest up.  An event that crossed processes (PostgreSQL
LISTEN/NOTIFY) is checked against its class before any listener sees it, so
a malformed payload is dropped with a warning instead of reaching a handler.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

CATALOGUE: dict[str, type[Event]] = {}


class EventError(ValueError):
    """A payload that does not fit its event's class."""


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event; ``name`` is what travels on the bus."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, *, name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name:
            if name in CATALOGUE:
                raise TypeError(f"event {name!r} is defined twice")
            cls.name = name
            CATALOGUE[name] = cls

    def payload(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """The event a payload describes; EventError if a field is missing or of the wrong type."""
        values = {}
        for field, (check, required) in _checks(cls).items():
            if field in payload:
                if not check(payload[field]):
                    raise EventError(f"{cls.name}: {field} = {payload[field]!r:.60} has the wrong type")
                values[field] = payload[field]
            elif required:
                raise EventError(f"{cls.name}: {field} is missing")
        return cls(**values)


def decode(name: str, payload: Mapping[str, Any]) -> Event | None:
    """The typed event for a name from the catalogue (None: not one we know)."""
    kind = CATALOGUE.get(name)
    return None if kind is None else kind.from_payload(payload)


# -- checking payloads that crossed a process boundary --------------------------------------
Check = Callable[[Any], bool]
_PLAIN: dict[Any, Check] = {
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    str: lambda v: isinstance(v, str),
    bool: lambda v: isinstance(v, bool),
    Any: lambda v: True,
}


def _check_for(annotation: Any) -> Check:
    if annotation in _PLAIN:
        return _PLAIN[annotation]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [_check_for(a) for a in typing.get_args(annotation)]
        return lambda v: any(check(v) for check in options)
    if annotation is type(None):
        return lambda v: v is None
    if origin is list or annotation is list:
        return lambda v: isinstance(v, list)
    if origin is dict or annotation is dict:
        return lambda v: isinstance(v, dict)
    raise TypeError(f"events carry plain JSON values, not {annotation!r}")


# Per event class: field -> (type check, required?), worked out once.
_CHECKS: dict[type[Event], dict[str, tuple[Check, bool]]] = {}


def _checks(cls: type[Event]) -> dict[str, tuple[Check, bool]]:
    if cls not in _CHECKS:
        hints = typing.get_type_hints(cls)
        _CHECKS[cls] = {
            f.name: (_check_for(hints[f.name]),
                     f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(cls)}
    return _CHECKS[cls]


# -- calls (the AMI bridge) ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CallEvent(Event):
    """Something happened to one call; the bridge's writer adds ``call_id`` once the row exists."""

    pbx: str
    linkedid: str
    call_id: int | None = None
    direction: str | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    queue: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgentCallEvent(CallEvent):
    """A call event about one agent's phone; ``agent_id`` is the user behind the interface."""

    interface: str | None = None
    agent_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallStarted(CallEvent, name="call_started"):
    """The call's first channel appeared."""

    did: str | None = None


@dataclass(frozen=True, kw_only=True)
class CallQueued(CallEvent, name="call_queued"):
    """The caller joined a queue, with what they chose in the IVR."""

    ivr: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CallRingingAgent(AgentCallEvent, name="call_ringing_agent"):
    """An agent's phone rings for the call: the desk pops it."""

    ivr: dict[str, Any] = dataclasses.field(default_factory=dict)
    did: str | None = None
    wait_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class CallRingStopped(AgentCallEvent, name="call_ring_stopped"):
    """The agent did not answer and the queue rang on: that agent's pop goes."""


@dataclass(frozen=True, kw_only=True)
class CallAnswered(AgentCallEvent, name="call_answered"):
    """An agent answered: every other ringing desk withdraws its pop."""

    ivr: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CallTransferred(AgentCallEvent, name="call_transferred"):
    """The call moved to another extension or agent."""


@dataclass(frozen=True, kw_only=True)
class CallEnded(AgentCallEvent, name="call_ended"):
    """The call's last channel hung up (or its end was missed and it was closed)."""

    disposition: str | None = None
    status: str | None = None


@dataclass(frozen=True, kw_only=True)
class CallRecordWritten(CallEvent, name="call_record_written"):
    """The call's final record is stored."""

    disposition: str | None = None
    status: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordingReady(CallEvent, name="recording_ready"):
    """MixMonitor closed the call's files and their rows are stored: transcription may start."""

    recording_ids: list[int] = dataclasses.field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class QueueChanged(Event, name="queue_changed"):
    """Callers waiting in a queue changed."""

    pbx: str
    queue: str
    waiting: int
    longest_wait_seconds: float | None = None
    oldest_joined_at: float | None = None


@dataclass(frozen=True, kw_only=True)
class AgentStateChanged(Event, name="agent_state_changed"):
    """An agent became available, ringing, on a call, paused, in wrap-up, unavailable or signed out.

    ``source`` says who tells: ``pbx`` (the bridge, from Asterisk's member
    events: what the phone does) or ``desk`` (the presence service: what the
    agent declared, with ``since`` and, in wrap-up, ``wrapup_until``).
    """

    pbx: str
    interface: str
    state: str
    paused_reason: str | None = None
    queues: list[str] = dataclasses.field(default_factory=list)
    agent_id: int | None = None
    source: str = "pbx"
    since: float | None = None
    wrapup_until: float | None = None


# -- the desk's screen pops ------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class PopHandled(Event, name="pop_handled"):
    """An agent finished a call's pop (ticket filed, attached, or no ticket needed): every tab of
    theirs, in every web process, takes it off their queue and shows the next caller."""

    user_id: int
    call_id: int
    key: str
    outcome: str
    ticket_id: int | None = None


# -- the centre's set-up (administration) -----------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class AgentProfileChanged(Event, name="agent_profile_changed"):
    """An admin changed an agent's phones, skills, languages, capacity or queues: presence puts
    a signed-in agent's queue membership right in Asterisk, the dispatcher reads the new profile."""

    user_id: int
    queues: list[str] = dataclasses.field(default_factory=list)
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class QueueDefined(Event, name="queue_defined"):
    """A queue was created, edited or retired: its generated Asterisk configuration is written again."""

    queue_id: int
    queue: str
    actor: str = "system"


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


# -- customers ----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CustomerCreated(Event, name="customer_created"):
    """A new customer with their numbers (from the desk, the API or a channel)."""

    customer_id: int
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class CustomerUpdated(Event, name="customer_updated"):
    """A customer's details changed (``fields``: which), for example by a CRM's sync through the API."""

    customer_id: int
    fields: list[str] = dataclasses.field(default_factory=list)
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class CustomersMerged(Event, name="customers_merged"):
    """``merged_id`` was the same person as ``customer_id``: its numbers, addresses, tickets and calls moved."""

    customer_id: int
    merged_id: int
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class CustomerErased(Event, name="customer_erased"):
    """A customer's personal data was erased on request: copies elsewhere should go too."""

    customer_id: int
    actor: str = "system"


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


# -- callbacks ----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CallbackRequested(Event, name="callback_requested"):
    """A callback was promised (IVR, agent, API, abandoned call): the dispatcher schedules it."""

    callback_id: int


@dataclass(frozen=True, kw_only=True)
class CallbackOutcome(Event, name="callback_outcome"):
    """A callback attempt ended: reached, no answer, busy or failed."""

    callback_id: int
    status: str
    ticket_id: int | None = None


# -- call control from the desk ----------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ClickToCallPlaced(Event, name="click_to_call_placed"):
    """An agent's click-to-call was sent to the PBX (``dialling``), failed, or its outcome is unknown."""

    click_id: int
    agent_id: int
    status: str
    ticket_id: int | None = None
    call_id: int | None = None
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class CallTransferRequested(CallEvent, name="call_transfer_requested"):
    """An agent moved their call from the desk: blind, attended (consulting), complete or cancel."""

    mode: str
    kind: str = ""
    target: str = ""
    actor: str = "system"


# -- transcripts ----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class TranscriptReady(Event, name="transcript_ready"):
    """A call's transcript is stored: keyword rules tag it."""

    call_id: int
    transcript_id: int


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
