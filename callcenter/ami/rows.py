"""How a call snapshot becomes rows: idempotent, and never losing a fact.

Everything here may run twice for the same call (a retried batch, a bridge
restarted mid-call): the unique (pbx, linkedid) keeps one row per call,
known facts are only ever added (a value we did not see is not a reason to
erase one stored earlier), legs are keyed by uniqueid and recordings by path.
A row that is already final is never rewritten.  A whole batch is written
with a few set-based Core statements (no ORM identity map, no per-call round
trips): the writer shares the CPU with the event loop reading AMI.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from .. import db
from ..calls.agents import interfaces_by_agent
from ..models import Call, CallLeg, CallStatus, Customer, Direction, Disposition, Queue, Recording, utcnow
from ..models.base import insert_defaults
from ..queues import discovery
from .record import CallSnapshot

log = logging.getLogger(__name__)
_MERGE_LISTS = {"agents_rung"}
_EARLIEST = {"started_at", "queued_at", "answered_at"}
CALLS, LEGS = cast(Table, Call.__table__), cast(Table, CallLeg.__table__)
# What the bridge owns on a call row; anything else (ticket_id ...) is never written here.
_OWNED = ("direction", "caller_number", "caller_raw", "caller_name", "did", "language", "ivr",
          "queue_name", "agents_rung", "started_at", "queued_at", "answered_at", "transferred_at",
          "ended_at", "wait_seconds", "talk_seconds", "hold_seconds", "hangup_cause",
          "hangup_cause_text", "disposition", "status", "agent_id", "queue_id", "customer_id")
_LEG_FIELDS = ("channel", "kind", "interface", "started_at", "answered_at", "ended_at",
               "hangup_cause", "outcome", "agent_id")
Key = tuple[str, str]
_SELECT_CALLS = select(*(CALLS.c[k] for k in ("id", "pbx", "linkedid", *_OWNED))).where(
    CALLS.c.pbx == bindparam("pbx"), CALLS.c.linkedid.in_(bindparam("linkedids", expanding=True))
).with_for_update()
_SELECT_LEGS = select(LEGS.c.id, LEGS.c.call_id, LEGS.c.uniqueid, *(LEGS.c[k] for k in _LEG_FIELDS)).where(
    LEGS.c.call_id.in_(bindparam("ids", expanding=True)))
_UPDATE_CALL = CALLS.update().where(CALLS.c.id == bindparam("row_id"))
_UPDATE_LEG = LEGS.update().where(LEGS.c.id == bindparam("row_id"))


class Directory:
    """Agent interface -> user id and queue name -> id, cached for a minute.

    A queue name with no row (a queue defined by hand in queues.conf since the
    last resync) gets its row the first time a call meets it (``learn``): one
    set lookup per call, and one insert per new queue, on the writer's thread.
    """

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._agents: dict[str, int] = {}
        self._queues: dict[str, int] = {}
        self._tried: set[str] = set()
        self._loaded = -1e9

    def _refresh(self, session: Session) -> None:
        if time.monotonic() - self._loaded < self.ttl:
            return
        self._agents = interfaces_by_agent(session)
        self._queues = dict(session.execute(select(Queue.name, Queue.id)).tuples().all())
        self._loaded = time.monotonic()

    def agent_id(self, session: Session, interface: str | None) -> int | None:
        if not interface:
            return None
        self._refresh(session)
        return self._agents.get(interface)

    def queue_id(self, session: Session, name: str | None) -> int | None:
        if not name:
            return None
        self._refresh(session)
        return self._queues.get(name)

    def learn(self, session: Session, names: set[str | None]) -> None:
        """Rows for the queues named that have none (a name that cannot be a queue's is skipped after once)."""
        self._refresh(session)
        new = {n for n in names if n and n not in self._queues and n not in self._tried}
        if new:
            self._tried |= {n for n in new if not discovery.valid(n)}
            discovery.ensure(session, new)
            self.forget()  # read again, with the rows this transaction adds (or, rolled back, without)

    def forget(self) -> None:
        self._loaded = -1e9


def _merge(old: dict[str, Any], values: dict[str, Any], resynced: bool) -> dict[str, Any]:
    """The stored row plus the snapshot's facts: nothing known is ever erased."""
    new = dict(old)
    for key, value in values.items():
        if value is None:
            continue
        prev = old[key]
        if key == "ivr":
            value = {**(prev or {}), **value}
        elif key in _MERGE_LISTS and resynced:
            value = list(prev or []) + [v for v in value if v not in (prev or [])]
        elif key in _EARLIEST and prev is not None:
            value = min(prev, value)
        new[key] = value
    return new


def _reconcile(row: dict[str, Any]) -> None:
    """Facts stored before a restart still count for the final disposition."""
    if row["direction"] == Direction.INBOUND and row["answered_at"] is not None:
        row["disposition"] = Disposition.ANSWERED
    if row["talk_seconds"] is None and row["answered_at"] and row["ended_at"]:
        row["talk_seconds"] = round((row["ended_at"] - row["answered_at"]).total_seconds(), 3)


def save_calls(session: Session, snaps: list[CallSnapshot],
               directory: Directory) -> list[tuple[CallSnapshot, dict[str, Any]]]:
    """Upsert a batch of snapshots (one per call) with a few set-based statements.

    Returns the rows written, as dicts with their ``id``; a row that is
    already final is left alone and not returned.  The rows are read FOR
    UPDATE, so on PostgreSQL nobody changes them between read and write.
    """
    stored = _load_calls(session, snaps)
    directory.learn(session, {snap.values.get("queue_name") for snap in snaps})
    saved = []
    for snap in snaps:
        old = stored[(snap.pbx, snap.linkedid)]
        if old["status"] != CallStatus.ACTIVE:
            log.debug("%s/%s already %s: not rewritten", snap.pbx, snap.linkedid, old["status"])
            continue
        row = _merge(old, snap.values, snap.resynced)
        row["agent_id"] = old["agent_id"] or directory.agent_id(session, _answered_interface(snap))
        row["queue_id"] = old["queue_id"] or directory.queue_id(session, row["queue_name"])
        if snap.final:
            _reconcile(row)
        saved.append((snap, row))
    _link_customers(session, [row for _, row in saved])
    changed = [{"row_id": row["id"], "updated_at": utcnow(), **{k: row[k] for k in _OWNED}}
               for snap, row in saved if row != stored[(snap.pbx, snap.linkedid)]]
    if changed:
        session.execute(_UPDATE_CALL, changed)
    _save_legs(session, saved, directory)
    return saved


def _load_calls(session: Session, snaps: list[CallSnapshot]) -> dict[Key, dict[str, Any]]:
    """The rows of the batch's calls, inserting the missing ones first."""
    stored = _select_calls(session, [(s.pbx, s.linkedid) for s in snaps])
    missing = [s for s in snaps if (s.pbx, s.linkedid) not in stored]
    if missing:
        now = utcnow()
        rows = [{**insert_defaults(CALLS), "pbx": s.pbx, "linkedid": s.linkedid, "created_at": now,
                 "updated_at": now, "started_at": s.values["started_at"],
                 "direction": s.values["direction"]} for s in missing]
        session.execute(db.insert(session, CALLS).on_conflict_do_nothing(index_elements=["pbx", "linkedid"]), rows)
        stored.update(_select_calls(session, [(s.pbx, s.linkedid) for s in missing]))
    return stored


def _select_calls(session: Session, keys: list[Key]) -> dict[Key, dict[str, Any]]:
    by_pbx: dict[str, list[str]] = {}
    for pbx, linkedid in keys:
        by_pbx.setdefault(pbx, []).append(linkedid)
    found = {}
    for pbx, linkedids in by_pbx.items():
        for row in session.execute(_SELECT_CALLS, {"pbx": pbx, "linkedids": linkedids}).mappings():
            found[(row["pbx"], row["linkedid"])] = dict(row)
    return found


def _customer_ref(row: dict[str, Any]) -> int | None:
    raw = str((row["ivr"] or {}).get("customer_id") or "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _link_customers(session: Session, rows: list[dict[str, Any]]) -> None:
    """The customer the IVR identified, if that customer exists (one query per batch)."""
    wanted = {row["id"]: _customer_ref(row) for row in rows if row["customer_id"] is None}
    refs = {ref for ref in wanted.values() if ref is not None}
    if not refs:
        return
    found = set(session.scalars(select(Customer.id).where(Customer.id.in_(refs))))
    for row in rows:
        if wanted.get(row["id"]) in found:
            row["customer_id"] = wanted[row["id"]]


def _save_legs(session: Session, saved: list[tuple[CallSnapshot, dict[str, Any]]],
               directory: Directory) -> None:
    """Legs keyed by (call, uniqueid): new ones inserted, known ones only gain facts."""
    ids = [row["id"] for _, row in saved]
    existing = {(r["call_id"], r["uniqueid"]): dict(r) for r in
                session.execute(_SELECT_LEGS, {"ids": ids}).mappings()} if ids else {}
    inserts, updates = [], []
    for snap, row in saved:
        for leg in snap.legs:
            old = existing.get((row["id"], leg["uniqueid"]))
            if old is None:
                inserts.append({"call_id": row["id"], **leg,
                                "agent_id": directory.agent_id(session, leg["interface"])})
                continue
            new = {**old, **{k: v for k, v in leg.items() if v is not None}}
            new["agent_id"] = old["agent_id"] or directory.agent_id(session, leg["interface"])
            if new != old:
                updates.append({"row_id": old["id"], **{k: new[k] for k in _LEG_FIELDS}})
    if inserts:
        session.execute(LEGS.insert(), inserts)
    if updates:
        session.execute(_UPDATE_LEG, updates)


def _answered_interface(snap: CallSnapshot) -> str | None:
    answered = [leg for leg in snap.legs if leg["kind"].value == "agent" and leg["answered_at"]]
    return answered[0]["interface"] if answered else None


def add_recordings(session: Session, call_id: int, files: list[dict[str, Any]]) -> list[int]:
    """Recording rows for files that exist, each path once."""
    ids = []
    for f in files:
        row = session.scalar(select(Recording).where(Recording.path == f["path"]))
        if row is None:
            row = Recording(call_id=call_id, **f)
            session.add(row)
            session.flush()
        ids.append(row.id)
    return ids


def close_orphans(session: Session, pbx: str | None, live: set[str], before: dt.datetime) -> list[Call]:
    """Active rows whose channels are gone: the end was missed, so close them as
    interrupted at the last time we heard of them (never left open forever)."""
    query = select(Call).where(Call.status == CallStatus.ACTIVE, Call.started_at < before)
    if pbx is not None:
        query = query.where(Call.pbx == pbx)
    closed = []
    for call in session.scalars(query.with_for_update(skip_locked=True)):
        if call.linkedid in live:
            continue
        call.status = CallStatus.INTERRUPTED
        call.ended_at = call.ended_at or max(call.updated_at or call.started_at, call.started_at)
        if call.disposition is None:
            call.disposition = (Disposition.ANSWERED if call.answered_at else
                                Disposition.ABANDONED_QUEUE if call.queued_at else
                                Disposition.ABANDONED_IVR)
        closed.append(call)
    return closed

