"""Screen pop: the bridge's ring events, routed to the ringing agent's open desk.

The hub subscribes to the bus once per web process (one subscription
table), builds each pop once (caller, customer, history, IVR choices) and
pushes it to every desk stream the agent has open.  A ring answered by
someone else, or a call that ends, withdraws the pop.

Building a pop takes a few queries, so pops are built on a few threads
rather than on the bus's one dispatch thread, where a busy database would
queue every later ring behind it.  What reaches the desks is still applied
one event at a time in arrival order (a call's pop before its withdrawal or
end, and an agent's pops in ring order).
"""
from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ClassVar

from sqlalchemy import false, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.access import visibility
from callcenter.bus import Bus, Message, Unsubscribe
from callcenter.calls.agents import interfaces_by_agent
from callcenter.calls.numbers import display, try_e164
from callcenter.calls.records import ensure_call, find_call
from callcenter.customers.lookup import by_number
from callcenter.events import AgentCallEvent, CallAnswered, CallEnded, CallRingingAgent, CallRingStopped
from callcenter.models import Call, Customer, Ticket, User
from callcenter.tickets.queries import open_for_customer, open_hidden_for_customer

log = logging.getLogger(__name__)
STREAM_BACKLOG = 100
# How many recent pops per agent keep their form reachable after the ring.
RECENT_POPS = 50
# Threads building pops at once; their results still reach the desks in order.
BUILDERS = 4
# Agent interface -> user id is reloaded this often (seconds); a miss asks at once.
AGENTS_TTL = 60.0
Prepare = Callable[[Message[Any]], Any]
Apply = Callable[[Message[Any], Any], None]


class Pipeline:
    """Each event's slow part (queries) runs on a pool; its fast part (pushing
    to the desks) runs on one thread, in the order the events arrived."""

    def __init__(self, builders: int = BUILDERS) -> None:
        self._pool = ThreadPoolExecutor(builders, thread_name_prefix="pop-build")
        self._order: queue.SimpleQueue[tuple[Message[Any], Future[Any], Apply] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._apply_in_order, name="pop-push", daemon=True)
        self._thread.start()

    def submit(self, ev: Message[Any], prepare: Prepare, apply: Apply) -> None:
        self._order.put((ev, self._pool.submit(prepare, ev), apply))

    def stop(self, timeout: float = 5.0) -> None:
        self._order.put(None)
        self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _apply_in_order(self) -> None:
        while (item := self._order.get()) is not None:
            ev, prepared, apply = item
            try:
                apply(ev, prepared.result())
            except Exception:
                log.exception("screen pop failed on %s", ev.name)


class PopHub:
    def __init__(self, bus: Bus, session_factory: sessionmaker[Session], region: str = "US") -> None:
        self.bus = bus
        self.region = region
        self.session_factory = session_factory
        self._lock = threading.Lock()
        self._streams: dict[int, set[queue.Queue[dict[str, Any]]]] = {}
        # call key -> users currently shown a pop for it
        self._shown: dict[str, set[int]] = {}
        # call key -> users who answered it (a transferred call has several)
        self._answered: dict[str, set[int]] = {}
        self._unsubscribe: list[Unsubscribe] = []
        # user -> recent call keys popped to them (the form stays theirs to fill)
        self._recent: dict[int, OrderedDict[str, None]] = {}
        self._agents: dict[str, int] = {}
        self._agents_loaded = -1e9
        self._pipeline: Pipeline | None = None
        self.closing = False  # set at shutdown: every stream ends

    SUBSCRIPTIONS: ClassVar[dict[type[AgentCallEvent], str]] = {
        CallRingingAgent: "ringing",
        CallAnswered: "answered",
        CallEnded: "ended",
        CallRingStopped: "ring_stopped",
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
                pipeline.submit(ev, prepare, apply)
        return handoff

    # -- desk streams ------------------------------------------------------
    def connect(self, user_id: int) -> queue.Queue[dict[str, Any]]:
        q: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=STREAM_BACKLOG)
        with self._lock:
            self._streams.setdefault(user_id, set()).add(q)
        return q

    def disconnect(self, user_id: int, q: queue.Queue[dict[str, Any]]) -> None:
        with self._lock:
            streams = self._streams.get(user_id, set())
            streams.discard(q)
            if not streams:
                self._streams.pop(user_id, None)

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

    def was_shown(self, user_id: int, pbx: str, linkedid: str) -> bool:
        with self._lock:
            return f"{pbx}:{linkedid}" in self._recent.get(user_id, {})

    def _remember(self, user_id: int, key: str) -> None:
        with self._lock:
            recent = self._recent.setdefault(user_id, OrderedDict())
            recent[key] = None
            recent.move_to_end(key)
            while len(recent) > RECENT_POPS:
                recent.popitem(last=False)

    def _push(self, user_id: int, message: dict[str, Any]) -> None:
        with self._lock:
            targets = list(self._streams.get(user_id, ()))
        for q in targets:
            try:
                q.put_nowait(message)
            except queue.Full:  # a stalled browser must not block the others
                log.warning("desk stream of user %s is full; dropping %s", user_id, message["type"])

    # -- event handlers -----------------------------------------------------
    @staticmethod
    def _key(p: AgentCallEvent) -> str:
        return f"{p.pbx}:{p.linkedid}"

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

    # Each event: _prepare_* may query (any thread), _apply_* pushes (in order).
    def _prepare_ringing(self, ev: Message[CallRingingAgent]) -> tuple[int, dict[str, Any]] | None:
        started = time.time()
        user_id = self._agent_user(ev.event)
        if user_id is None or not self.connected(user_id):
            return None
        with self.session_factory() as session:
            pop = self._build_pop(session, ev.event, user_id)
            session.commit()
        pop["event_at"] = ev.at
        # Where a late pop lost its time: source (AMI bridge) -> publish -> here -> push.
        pop["stages"] = {"source": ev.source_at, "published": ev.at, "received": ev.received_at,
                         "started": started}
        return user_id, pop

    def _apply_ringing(self, ev: Message[CallRingingAgent], prepared: tuple[int, dict[str, Any]] | None) -> None:
        if prepared is None:
            return
        user_id, pop = prepared
        pop["pushed_at"] = pop["stages"]["pushed"] = time.time()
        with self._lock:
            self._shown.setdefault(pop["key"], set()).add(user_id)
        self._remember(user_id, pop["key"])
        self._push(user_id, {"type": "pop", "data": pop})

    def _withdraw(self, key: str, keep: set[int], reason: str) -> None:
        with self._lock:
            users = self._shown.pop(key, set())
            if users & keep:
                self._shown[key] = users & keep
        for user_id in users - keep:
            self._push(user_id, {"type": "withdraw", "data": {"key": key, "reason": reason}})

    def _prepare_answered(self, ev: Message[AgentCallEvent]) -> int | None:
        return self._agent_user(ev.event)

    def _apply_answered(self, ev: Message[CallAnswered], answered_by: int | None) -> None:
        """Pops of agents who did not answer go; one who answered earlier (and transfers the call now,
        maybe still talking to the colleague) keeps theirs: their browser phone's controls are on it."""
        key = self._key(ev.event)
        with self._lock:
            took = self._answered.setdefault(key, set())
            if answered_by is not None:
                took.add(answered_by)
            keep = set(took)
        self._withdraw(key, keep, "answered_elsewhere")
        if answered_by is not None:
            self._push(answered_by, {"type": "answered", "data": {"key": self._key(ev.event)}})

    _prepare_ring_stopped = _prepare_answered

    def _apply_ring_stopped(self, ev: Message[CallRingStopped], user_id: int | None) -> None:
        """The ring moved on (no answer): only that agent's pop goes."""
        key = self._key(ev.event)
        if user_id is None:
            return
        with self._lock:
            shown = self._shown.get(key, set())
            was_shown = user_id in shown
            shown.discard(user_id)
        if was_shown:
            self._push(user_id, {"type": "withdraw", "data": {"key": key, "reason": "ring_stopped"}})

    def _prepare_ended(self, ev: Message[CallEnded]) -> None:
        return None

    def _apply_ended(self, ev: Message[CallEnded], _prepared: None) -> None:
        key = self._key(ev.event)
        with self._lock:
            users = self._shown.pop(key, set())
            self._answered.pop(key, None)
        for user_id in users:
            self._push(user_id, {"type": "ended", "data": {"key": key}})

    # -- building a pop ----------------------------------------------------
    def _build_pop(self, session: Session, p: CallRingingAgent, user_id: int) -> dict[str, Any]:
        call = find_call(session, p.pbx, p.linkedid) or ensure_call(
            session, p.pbx, p.linkedid, caller_number=p.caller_number, caller_name=p.caller_name,
            queue_name=p.queue)
        number = call.caller_number or try_e164(p.caller_number, self.region)
        customer = session.get(Customer, call.customer_id) if call.customer_id else None
        if customer is None and number:
            # The bridge links the customer in its next batch; the pop must not wait for it.
            customer = by_number(session, number)
        history: list[dict[str, Any]] = []
        open_tickets: list[dict[str, Any]] = []
        restricted = 0
        if customer is not None:
            previous = session.scalars(select(Call).where(Call.customer_id == customer.id, Call.id != call.id)
                                       .order_by(Call.started_at.desc()).limit(5))
            history = [{"id": c.id, "at": c.started_at.isoformat(), "queue": c.queue_name,
                        "disposition": c.disposition.value if c.disposition else None} for c in previous]
            # The ringing agent sees subjects only of tickets they may open; the rest are a count.
            agent = session.get(User, user_id)
            visible = visibility.ticket_clause(agent) if agent is not None else false()
            open_tickets = [{"id": t.id, "number": t.number, "subject": t.subject, "status": t.status.value}
                            for t in open_for_customer(session, customer.id, 5, visible)]
            restricted = open_hidden_for_customer(session, customer.id, visible)
        # A transferred call brings its ticket: the receiving desk opens it with the pop.
        ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
        return {
            "key": self._key(p),
            "call_id": call.id,
            "ticket": None if ticket is None else {"id": ticket.id, "number": ticket.number,
                                                   "subject": ticket.subject},
            "caller_number": display(number) if number else None,
            "caller_name": call.caller_name or p.caller_name,
            "customer": None if customer is None else {
                "id": customer.id, "name": customer.name, "vip_tier": customer.vip_tier.value,
                "language": customer.language, "company": customer.company},
            "history": history,
            "open_tickets": open_tickets,
            "restricted_tickets": restricted,
            "ivr": p.ivr or call.ivr or {},
            "queue": p.queue or call.queue_name,
            "wait_seconds": p.wait_seconds,
        }
