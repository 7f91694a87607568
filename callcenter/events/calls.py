"""Calls as the AMI bridge sees them, the desk's pops, the centre's set-up, callbacks, call control and
transcripts."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .base import Event


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
