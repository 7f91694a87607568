"""What is happening right now on one PBX: queues and agents.

Active calls are the accumulator's calls; this module adds who waits in
which queue (and since when) and what each agent is doing.  Every method
returns whether something users see changed, so the interpreter publishes
``queue_changed`` / ``agent_state_changed`` only on real changes.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from .accumulator import Accumulator


class AgentState(str, enum.Enum):
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    PAUSED = "paused"
    WRAP_UP = "wrap_up"
    UNAVAILABLE = "unavailable"


# The pause reason presence uses for its wrap-up (callcenter.presence.members.HOLD_REASON).
WRAP_UP_REASON = "wrap-up"
# Asterisk device states (QueueMemberStatus "Status").
_RINGING = {"6", "7"}
_BUSY = {"2", "3", "8"}
_GONE = {"4", "5"}


@dataclass
class QueueLive:
    name: str
    waiting: dict[str, float] = field(default_factory=dict)  # uniqueid -> joined at

    def longest_wait(self, now: float) -> float:
        return round(now - min(self.waiting.values()), 1) if self.waiting else 0.0


@dataclass
class AgentLive:
    interface: str
    name: str = ""
    device: str = "1"
    paused: bool = False
    reason: str = ""
    wrapup_seconds: float = 0.0
    wrap_until: float = 0.0
    queues: set[str] = field(default_factory=set)
    state: AgentState = AgentState.AVAILABLE

    def compute(self, now: float) -> AgentState:
        # The desk holds an agent out with this reason from the answer to the end of the wrap-up.
        held = self.paused and self.reason == WRAP_UP_REASON
        if self.paused and not held:
            return AgentState.PAUSED
        if self.device in _RINGING:
            return AgentState.RINGING
        if self.device in _BUSY:
            return AgentState.ON_CALL
        if held or self.wrap_until > now:
            return AgentState.WRAP_UP
        if self.device in _GONE:
            return AgentState.UNAVAILABLE
        return AgentState.AVAILABLE


class LiveState:
    def __init__(self, accumulator: Accumulator) -> None:
        self.pbx = accumulator.pbx
        self.accumulator = accumulator
        self.queues: dict[str, QueueLive] = {}
        self.agents: dict[str, AgentLive] = {}

    # -- queues --------------------------------------------------------------
    def queue(self, name: str) -> QueueLive:
        found = self.queues.get(name)
        if found is None:
            found = self.queues[name] = QueueLive(name)
        return found

    def join(self, queue: str, uniqueid: str, at: float) -> bool:
        waiting = self.queue(queue).waiting
        if uniqueid in waiting:
            return False
        waiting[uniqueid] = at
        return True

    def leave(self, queue: str, uniqueid: str) -> bool:
        return self.queue(queue).waiting.pop(uniqueid, None) is not None

    def reset_queues(self) -> None:
        for q in self.queues.values():
            q.waiting.clear()

    # -- agents --------------------------------------------------------------
    def agent(self, interface: str) -> AgentLive:
        found = self.agents.get(interface)
        if found is None:
            found = self.agents[interface] = AgentLive(interface)
        return found

    def is_agent(self, interface: str | None) -> bool:
        return interface in self.agents

    def member_status(self, event: dict[str, str], now: float) -> AgentLive | None:
        """QueueMemberStatus / QueueMember / QueueMemberPause: the member's device and pause."""
        interface = event.get("Interface") or event.get("Location")
        if not interface:
            return None
        agent = self.agent(interface)
        agent.name = event.get("MemberName") or event.get("Name") or agent.name
        if event.get("Queue"):
            agent.queues.add(event["Queue"])
        agent.device = event.get("Status", agent.device)
        if "Paused" in event:
            agent.paused = event["Paused"] == "1"
            agent.reason = event.get("PausedReason", "")
        if event.get("Wrapuptime", "").isdigit():
            agent.wrapup_seconds = float(event["Wrapuptime"])
        return self._restate(agent, now)

    def call_completed(self, interface: str, at: float, now: float) -> AgentLive | None:
        agent = self.agent(interface)
        if agent.wrapup_seconds:
            agent.wrap_until = at + agent.wrapup_seconds
        return self._restate(agent, now)

    def removed(self, interface: str, queue: str) -> None:
        agent = self.agents.get(interface)
        if agent is not None:
            agent.queues.discard(queue)

    def expire_wrapups(self, now: float) -> list[AgentLive]:
        return [a for a in self.agents.values()
                if a.state is AgentState.WRAP_UP and self._restate(a, now) is not None]

    def _restate(self, agent: AgentLive, now: float) -> AgentLive | None:
        state = agent.compute(now)
        if state is agent.state:
            return None
        agent.state = state
        return agent

    # -- views -----------------------------------------------------------------
    def snapshot(self, now: float) -> dict[str, Any]:
        """A copy for other threads (the CLI view, the web)."""
        calls = [{"linkedid": c.linkedid, "caller": c.caller_raw, "name": c.caller_name,
                  "queue": c.queue_name, "agent": c.agent_interface, "started_at": c.started_at,
                  "answered_at": c.answered_at, "queued_at": c.queued_at}
                 for c in list(self.accumulator.calls.values()) if c.ended_at is None]
        queues = [{"queue": q.name, "waiting": len(q.waiting), "longest_wait": q.longest_wait(now)}
                  for q in list(self.queues.values())]
        agents = [{"interface": a.interface, "name": a.name, "state": a.state.value,
                   "queues": sorted(a.queues)} for a in list(self.agents.values())]
        return {"pbx": self.pbx, "calls": calls, "queues": queues, "agents": agents}
