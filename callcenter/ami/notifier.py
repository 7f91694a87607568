"""One method per event the bridge publishes (wazo-calld's notifier.py).

Payloads stay small (ids and a few facts): screen pop, dispatcher and
transcription look the rest up.  Events go through the writer's outbox so
they leave in order and after the call row they refer to exists; the
writer fills in ``call_id`` (from pbx + linkedid) and ``agent_id`` (from the
agent's interface) there, off the event loop.
"""
from __future__ import annotations

from typing import Any, Protocol

from ..events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallQueued,
    CallRingingAgent,
    CallRingStopped,
    CallStarted,
    CallTransferred,
    Event,
    QueueChanged,
)
from .accumulator import CallInProgress
from .live import AgentLive, QueueLive


class Outbox(Protocol):
    def publish(self, event: Event) -> None: ...


def _call(call: CallInProgress) -> dict[str, Any]:
    return {"pbx": call.pbx, "linkedid": call.linkedid, "direction": call.direction,
            "caller_number": call.caller_raw, "caller_name": call.caller_name, "queue": call.queue_name}


class Notifier:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def call_started(self, call: CallInProgress) -> None:
        self.outbox.publish(CallStarted(**_call(call), did=call.did))

    def call_queued(self, call: CallInProgress, queue: str) -> None:
        self.outbox.publish(CallQueued(**_call(call), ivr=dict(call.ivr)))

    def call_ringing_agent(self, call: CallInProgress, interface: str, at: float) -> None:
        self.outbox.publish(CallRingingAgent(
            **_call(call), interface=interface, ivr=dict(call.ivr), did=call.did,
            wait_seconds=round(at - call.queued_at, 1) if call.queued_at else None))

    def call_ring_stopped(self, call: CallInProgress, interface: str) -> None:
        self.outbox.publish(CallRingStopped(**_call(call), interface=interface))

    def call_answered(self, call: CallInProgress, interface: str | None) -> None:
        self.outbox.publish(CallAnswered(**_call(call), interface=interface, ivr=dict(call.ivr)))

    def call_transferred(self, call: CallInProgress, interface: str | None) -> None:
        self.outbox.publish(CallTransferred(**_call(call), interface=interface))

    def call_ended(self, call: CallInProgress, disposition: str, status: str) -> None:
        self.outbox.publish(CallEnded(**_call(call), interface=call.agent_interface,
                                      disposition=disposition, status=status))

    def queue_changed(self, pbx: str, queue: QueueLive, now: float) -> None:
        self.outbox.publish(QueueChanged(
            pbx=pbx, queue=queue.name, waiting=len(queue.waiting), longest_wait_seconds=queue.longest_wait(now),
            oldest_joined_at=min(queue.waiting.values()) if queue.waiting else None))

    def agent_state_changed(self, pbx: str, agent: AgentLive) -> None:
        self.outbox.publish(AgentStateChanged(
            pbx=pbx, interface=agent.interface, state=agent.state.value,
            paused_reason=agent.reason if agent.paused else None, queues=sorted(agent.queues)))


class NullOutbox:
    """For read-only views (``callcenter calls --live``): nothing leaves."""

    def publish(self, event: Event) -> None:
        pass
