"""Screen pop: the bridge's ring events, stored as the ringing agent's pops and pushed to their open desks.

The hub subscribes to the bus once per web process (one subscription
table).  A ring for an agent whose desk is open here (or was, a moment
ago: a reload) is built once, stored through the pops service (one row per
agent and call, however many processes store it) and pushed to every desk
stream the agent has open here.  As the call goes on, the service moves the
pops this process knows of (rung here, or listed by a desk here) and the
hub tells the desks: a ring answered elsewhere or stopped is withdrawn, an
answered call stays until handled.  ``PopHandled`` (a ticket filed,
attached, or no ticket needed, in any process) takes it off every tab.
"""
from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus, Message, Unsubscribe
from callcenter.calls.agents import interfaces_by_agent
from callcenter.db import transaction
from callcenter.events import (
    AgentCallEvent,
    ApprovalDecided,
    CallAnswered,
    CallEnded,
    CallRingingAgent,
    CallRingStopped,
    Event,
    PopHandled,
)
from callcenter.models import OPEN_POP_STATES, PopState
from callcenter.pops.build import build_pop
from callcenter.pops.service import Move, PopService, key_of

from .. import labels
from .names import CentreNames
from .pipeline import Pipeline

log = logging.getLogger(__name__)
STREAM_BACKLOG = 100
# Agent interface -> user id is reloaded this often (seconds); a miss asks at once.
AGENTS_TTL = 60.0
# A ring within this many seconds of an agent's last desk stream closing is still stored (a reload).
DESK_GRACE_SECONDS = 120.0
# What each move tells the desks, per event: the message type and the withdrawal's reason.
TOLD: dict[str, dict[PopState, tuple[str, str]]] = {
    "answered": {PopState.WITHDRAWN: ("withdraw", "answered_elsewhere"), PopState.ANSWERED: ("answered", "")},
    "ring_stopped": {PopState.WITHDRAWN: ("withdraw", "ring_stopped")},
    "ended": {PopState.WITHDRAWN: ("withdraw", "ended"), PopState.ENDED: ("ended", ""),
              PopState.HANDLED: ("ended", "")},
}


class PopHub:
    def __init__(self, bus: Bus, session_factory: sessionmaker[Session], pops: PopService,
                 region: str = "US") -> None:
        self.bus, self.session_factory, self.pops, self.region = bus, session_factory, pops, region
        self._lock = threading.Lock()
        self._streams: dict[int, set[queue.Queue[dict[str, Any]]]] = {}
        # user -> when their last desk stream here closed
        self._left: dict[int, float] = {}
        # call key -> users this process shows (or listed) an open pop of it to
        self._shown: dict[str, set[int]] = {}
        self._unsubscribe: list[Unsubscribe] = []
        self._agents: dict[str, int] = {}
        self._agents_loaded = -1e9
        self._names = CentreNames(session_factory)
        self._pipeline: Pipeline | None = None
        self.closing = False  # set at shutdown: every stream ends

    SUBSCRIPTIONS: ClassVar[dict[type[Event], str]] = {
        CallRingingAgent: "ringing",
        CallAnswered: "answered",
        CallEnded: "ended",
        CallRingStopped: "ring_stopped",
        PopHandled: "handled",
        ApprovalDecided: "approval",
    }

    def start(self) -> None:
        if not self._unsubscribe:
            self._pipeline = Pipeline()
            for kind, step in self.SUBSCRIPTIONS.items():
                self._unsubscribe.append(self.bus.subscribe(kind, self._handoff(step)))

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._pipeline is not None:
            self._pipeline.stop()
            self._pipeline = None

    def _handoff(self, step: str) -> Callable[[Message[Any]], None]:
        """The bus thread only hands the event over and moves on."""
        prepare, apply = getattr(self, f"_prepare_{step}"), getattr(self, f"_apply_{step}")

        def handoff(ev: Message[Any]) -> None:
            pipeline = self._pipeline
            if pipeline is None:
                apply(ev, prepare(ev))
            else:
                pipeline.submit(ev, prepare, apply, _key(ev.event))
        return handoff

    # -- desk streams ------------------------------------------------------
    def connect(self, user_id: int) -> queue.Queue[dict[str, Any]]:
        q: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=STREAM_BACKLOG)
        self.names()  # the first desk to open reads them, not the first pop
        with self._lock:
            self._streams.setdefault(user_id, set()).add(q)
        return q

    def disconnect(self, user_id: int, q: queue.Queue[dict[str, Any]]) -> None:
        with self._lock:
            streams = self._streams.get(user_id, set())
            streams.discard(q)
            if not streams and self._streams.pop(user_id, None) is not None:
                self._left[user_id] = time.monotonic()

    def end_stream(self, user_id: int, q: queue.Queue[dict[str, Any]]) -> None:
        """Disconnect one stream and wake its reader, so it ends now."""
        self.disconnect(user_id, q)
        with contextlib.suppress(queue.Full):  # a full queue wakes its reader anyway
            q.put_nowait({"type": "close", "data": {}})

    def close_streams(self) -> None:
        """Ask every open desk stream to finish (server shutdown)."""
        self.closing = True
        with self._lock:
            targets = [q for streams in self._streams.values() for q in streams]
        for q in targets:
            with contextlib.suppress(queue.Full):
                q.put_nowait({"type": "close", "data": {}})

    def connected(self, user_id: int) -> bool:
        with self._lock:
            return bool(self._streams.get(user_id))

    def wants(self, user_id: int) -> bool:
        """Whether a ring for this agent is stored here: their desk is open here, or was a moment ago."""
        with self._lock:
            if self._streams.get(user_id):
                return True
            return time.monotonic() - self._left.get(user_id, -1e9) < DESK_GRACE_SECONDS

    def track(self, user_id: int, keys: Iterable[str]) -> None:
        """A desk here listed these open pops: this process moves them as their calls go on."""
        with self._lock:
            for key in keys:
                self._shown.setdefault(key, set()).add(user_id)

    def names(self) -> labels.Names:
        """The centre's names of categories and queues, for saying pops (a stream has no session of its own)."""
        return self._names.get()

    def _tracked(self, key: str) -> bool:
        with self._lock:
            return key in self._shown

    def _push(self, user_id: int, message: dict[str, Any]) -> None:
        with self._lock:
            targets = list(self._streams.get(user_id, ()))
        for q in targets:
            try:
                q.put_nowait(message)
            except queue.Full:  # a stalled browser must not block the others
                log.warning("desk stream of user %s is full; dropping %s", user_id, message["type"])

    # -- event handlers -----------------------------------------------------
    def _agent_user(self, p: AgentCallEvent) -> int | None:
        if p.agent_id is not None:  # the bridge's writer adds it
            return p.agent_id
        interface = p.interface
        if not interface:
            return None
        with self._lock:
            age = time.monotonic() - self._agents_loaded
            user_id = self._agents.get(interface)
        # Stale, or unknown (a new agent; at most one reload a second): one query reloads them all.
        if age < AGENTS_TTL and (user_id is not None or age < 1.0):
            return user_id
        with self.session_factory() as session:
            agents = interfaces_by_agent(session)
        with self._lock:
            self._agents, self._agents_loaded = agents, time.monotonic()
        return agents.get(interface)

    # Each event: _prepare_* may query (any thread, a call's events in order), _apply_* pushes (in order).
    def _prepare_ringing(self, ev: Message[CallRingingAgent]) -> tuple[int, dict[str, Any]] | None:
        started = time.time()
        user_id = self._agent_user(ev.event)
        if user_id is None or not self.wants(user_id):
            return None
        with transaction(self.session_factory) as session:
            pop = build_pop(session, ev.event, user_id, self.region)
            pop["event_at"] = ev.at
            row = self.pops.record(session, user_id=user_id, call_id=pop["call_id"], key=pop["key"], payload=pop)
            state, stored = row.state, dict(row.payload)
        if state not in OPEN_POP_STATES:
            return None  # another process already saw this ring withdrawn or handled
        # Where a late pop lost its time: source (AMI bridge) -> publish -> here -> push.
        stored["stages"] = {"source": ev.source_at, "published": ev.at, "received": ev.received_at,
                            "started": started}
        return user_id, {**stored, "state": state.value}

    def _apply_ringing(self, ev: Message[CallRingingAgent], prepared: tuple[int, dict[str, Any]] | None) -> None:
        if prepared is None:
            return
        user_id, pop = prepared
        pop["pushed_at"] = pop["stages"]["pushed"] = time.time()
        self.track(user_id, [pop["key"]])
        self._push(user_id, {"type": "pop", "data": pop})

    def _moves(self, event: AgentCallEvent, move: Callable[[Session, str], list[Move]]) -> list[Move]:
        key = _key(event)
        if not self._tracked(key):
            return []  # no desk here shows this call
        with transaction(self.session_factory) as session:
            return move(session, key)

    def _tell(self, moves: list[Move], step: str, answered_by: int | None = None) -> None:
        told = TOLD[step]
        for m in moves:
            if m.state not in OPEN_POP_STATES:
                self._untrack(m.key, m.user_id)
            # "answered" is news only to the agent who answered now (not to one who took the call before a transfer).
            if m.state in told and (m.state is not PopState.ANSWERED or m.user_id == answered_by):
                kind, reason = told[m.state]
                self._push(m.user_id, {"type": kind, "data": {"key": m.key, "reason": reason} if reason
                                       else {"key": m.key}})

    def _untrack(self, key: str, user_id: int) -> None:
        with self._lock:
            users = self._shown.get(key, set())
            users.discard(user_id)
            if not users:
                self._shown.pop(key, None)

    def _prepare_answered(self, ev: Message[CallAnswered]) -> tuple[int | None, list[Move]]:
        """Pops of agents who did not answer go; one who answered earlier (and transfers the call now,
        maybe still talking to the colleague) keeps theirs: their browser phone's controls are on it."""
        if not self._tracked(_key(ev.event)):
            return None, []
        by = self._agent_user(ev.event)  # before the transaction: it may query on its own
        return by, self._moves(ev.event, lambda s, key: self.pops.answered(s, key, by, ev.at))

    def _apply_answered(self, ev: Message[CallAnswered], prepared: tuple[int | None, list[Move]]) -> None:
        by, moves = prepared
        self._tell(moves, "answered", by)

    def _prepare_ring_stopped(self, ev: Message[CallRingStopped]) -> list[Move]:
        """The ring moved on (no answer): only that agent's pop goes."""
        user_id = self._agent_user(ev.event) if self._tracked(_key(ev.event)) else None
        if user_id is None:
            return []
        return self._moves(ev.event, lambda s, key: self.pops.ring_stopped(s, key, user_id, ev.at))

    def _apply_ring_stopped(self, ev: Message[CallRingStopped], moves: list[Move]) -> None:
        self._tell(moves, "ring_stopped")

    def _prepare_ended(self, ev: Message[CallEnded]) -> list[Move]:
        return self._moves(ev.event, lambda s, key: self.pops.ended(s, key, ev.at))

    def _apply_ended(self, ev: Message[CallEnded], moves: list[Move]) -> None:
        self._tell(moves, "ended")

    def _prepare_handled(self, ev: Message[PopHandled]) -> None:
        return None

    def _apply_handled(self, ev: Message[PopHandled], _prepared: None) -> None:
        p = ev.event
        self._untrack(p.key, p.user_id)
        self._push(p.user_id, {"type": "handled", "data": {"key": p.key, "outcome": p.outcome,
                                                           "ticket_id": p.ticket_id}})

    def _prepare_approval(self, ev: Message[ApprovalDecided]) -> None:
        return None

    def _apply_approval(self, ev: Message[ApprovalDecided], _prepared: None) -> None:
        """The assignee's desk hears that a rule's approval on their ticket was given or refused."""
        e = ev.event
        if e.assignee_id is not None:
            self._push(e.assignee_id, {"type": "approval", "data": {"number": e.number or "", "rule": e.rule,
                                                                    "approved": e.approved, "by": e.actor}})


def _key(event: Event) -> str:
    if isinstance(event, PopHandled):
        return event.key
    if isinstance(event, ApprovalDecided):
        return ""  # in no call's order
    assert isinstance(event, AgentCallEvent)
    return key_of(event.pbx, event.linkedid)
