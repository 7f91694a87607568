"""The one thread that writes call rows and publishes the bridge's events.

The event loop only queues work here, so a slow database never stalls
AMI reading (Asterisk drops a client that does not read for 100 ms).  Jobs
run in order, many per transaction; events are published with the
transaction's session, so they leave only once the rows they name exist.
A batch that fails because the database is away is retried with backoff
until it succeeds; a job that fails on its own data is set aside in a
dead-letter file (JSON lines) instead of blocking every call behind it.

Recordings are stored by a second thread ("ami-recordings"): waiting for
MixMonitor to close its files and adding their rows takes round trips per
file, and under load those queued every later ring behind them.  A call's
recordings are handed over only once its final record has committed, so
``recording_ready`` still follows ``call_record_written``.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from .. import retry
from ..bus import Bus
from ..calls.records import find_call
from ..config import AMISettings
from ..db import transaction
from ..events import (
    AgentCallEvent,
    AgentStateChanged,
    CallEnded,
    CallEvent,
    CallRecordWritten,
    CallRingingAgent,
    Event,
    RecordingReady,
)
from ..models import utcnow
from ..pbx.wav import read_header
from .record import CallSnapshot
from .rows import Directory, add_recordings, close_orphans, save_calls

log = logging.getLogger(__name__)
_STOP = ("stop",)
_DB_AWAY = (sa_exc.OperationalError, sa_exc.InterfaceError)
Key = tuple[str, str]
# A queued piece of work: ("save", snapshot), ("publish", event, queued_at), ("recordings", ...) ...
Job = tuple[Any, ...]
After = list[Callable[[], None]]


# Events sent ahead of their batch (see Writer._send_early): pure notices that
# no consumer reads back from the rows the batch is about to write.
EARLY = (CallRingingAgent,)


def _key_of(job: Job) -> Key | None:
    """The call a job concerns, if it names one."""
    if job[0] == "save":
        return (job[1].pbx, job[1].linkedid)
    if job[0] == "publish" and isinstance(job[1], CallEvent):
        return (job[1].pbx, job[1].linkedid)
    return None


def _coalesce(batch: list[Job]) -> tuple[list[CallSnapshot], list[Job]]:
    """Under load a batch holds several snapshots of one call: the accumulator only
    adds facts, so the last one says everything and is the only one written.
    Saves go first (as one set), so every event of the batch finds its call's row."""
    last: dict[Key, CallSnapshot] = {}
    for job in batch:
        if job[0] == "save":
            last[(job[1].pbx, job[1].linkedid)] = job[1]
    return list(last.values()), [job for job in batch if job[0] != "save"]


class Writer:
    def __init__(self, session_factory: sessionmaker[Session], bus: Bus, recordings_dir: Path,
                 cfg: AMISettings | None = None, dead_letter: Path | None = None) -> None:
        self.factory, self.bus = session_factory, bus
        self.recordings_dir = Path(recordings_dir)
        self.cfg = cfg or AMISettings()
        self.dead_letter = dead_letter
        self.directory = Directory()
        self.records_written = 0
        self._queue: queue.Queue[Job] = queue.Queue()
        self._recordings: queue.Queue[Job] = queue.Queue()  # the recordings thread's own
        self._delayed: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._ids: OrderedDict[Key, int] = OrderedDict()
        self._thread: threading.Thread | None = None
        self._rec_thread: threading.Thread | None = None
        self._dead_lock = threading.Lock()
        self._stopping = threading.Event()

    # -- called from any thread (the event loop) -------------------------------
    def save(self, snapshot: CallSnapshot) -> None:
        self._queue.put(("save", snapshot))

    def publish(self, event: Event) -> None:
        self._queue.put(("publish", event, time.time()))

    def close_orphans(self, pbx: str | None, live: set[str], before: dt.datetime) -> None:
        self._queue.put(("orphans", pbx, frozenset(live), before))

    def known_queues(self, names: list[str]) -> None:
        """Queues a PBX has (its resync): each gets a row if it has none."""
        self._queue.put(("queues", tuple(names)))

    def sweep_stale(self, hours: float) -> None:
        self.close_orphans(None, set(), utcnow() - dt.timedelta(hours=hours))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued job (not the delayed recording checks) is done."""
        done = threading.Event()
        self._queue.put(("mark", done.set))
        return done.wait(timeout)

    def pending_recordings(self) -> int:
        return len(self._delayed) + self._recordings.qsize()

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="ami-writer", daemon=True)
            self._thread.start()
            self._rec_thread = threading.Thread(target=self._run_recordings, name="ami-recordings",
                                                daemon=True)
            self._rec_thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            # Only now: the last final records may still have handed recordings over.
            if self._rec_thread is not None:
                self._recordings.put(_STOP)
                self._rec_thread.join(timeout)
                self._rec_thread = None
            self._stopping.set()
            self._thread = None

    # -- the thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            job = self._queue.get()
            batch = [job]
            while len(batch) < self.cfg.writer_batch and job is not _STOP:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(job)
            stop = any(j is _STOP for j in batch)
            self._commit(self._send_early([j for j in batch if j is not _STOP]))
            if stop:
                return

    def _send_early(self, batch: list[Job]) -> list[Job]:
        """Send ring events at once when they need nothing from this batch: their
        call's row is committed and no earlier job of the batch concerns the call.
        A screen pop then waits for no batch of saves.  Returns the rest."""
        rest: list[Job] = []
        touched: set[Key] = set()
        for i, job in enumerate(batch):
            if job[0] == "orphans":  # may close any call: everything after it waits
                return rest + batch[i:]
            key = _key_of(job)
            if job[0] == "publish" and isinstance(job[1], EARLY) and key is not None and key not in touched \
                    and key in self._ids:
                try:
                    with self.factory() as session:  # opens a connection only to refresh agents
                        self._do_publish(session, {}, [], job[1], job[2], session_bound=False)
                    continue
                except Exception as exc:  # noqa: BLE001 - the database is away: it goes with the batch
                    log.debug("early %s not sent (%s); it waits for the batch", job[1].name, exc)
            if key is not None:
                touched.add(key)
            rest.append(job)
        return rest

    def _next_recording(self) -> Job:
        while True:
            wait = None
            if self._delayed:
                due, _, job = self._delayed[0]
                if due <= time.monotonic():
                    heapq.heappop(self._delayed)
                    return job
                wait = due - time.monotonic()
            try:
                return self._recordings.get(timeout=wait)
            except queue.Empty:
                continue

    def _run_recordings(self) -> None:
        while (job := self._next_recording()) is not _STOP:
            self._commit([job])
        # Recordings still being closed: store what is there now, lose nothing.
        late = [heapq.heappop(self._delayed)[2] for _ in range(len(self._delayed))]
        while not self._recordings.empty():
            late.append(self._recordings.get_nowait())
        self._commit([(*job[:-1], 0.0) for job in late if job is not _STOP])

    def _commit(self, batch: list[Job]) -> None:
        if not batch:
            return
        backoff = retry.Backoff(0.5, 30.0)
        while True:
            after: After = []
            try:
                with transaction(self.factory) as session:
                    pending: dict[Key, int] = {}
                    saves, others = _coalesce(batch)
                    if saves:
                        self._save(session, pending, after, saves)
                    for job in others:
                        getattr(self, "_do_" + job[0])(session, pending, after, *job[1:])
                break
            except _DB_AWAY as exc:
                self.directory.forget()  # it may hold ids of queue rows the rolled-back batch added
                if self._stopping.is_set():
                    self._set_aside(batch, exc)
                    return
                delay = backoff.next()
                log.warning("AMI writer: database unavailable (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)
            except Exception as exc:  # noqa: BLE001 - one job's data is bad: find it, keep the rest
                self.directory.forget()
                if len(batch) == 1:
                    self._set_aside(batch, exc)
                    return
                for job in batch:
                    self._commit([job])
                return
        for action in after:
            action()

    def _set_aside(self, batch: list[Job], exc: Exception) -> None:
        log.error("AMI writer: %d job(s) could not be stored (%s); kept in %s", len(batch), exc,
                  self.dead_letter)
        if self.dead_letter is not None:
            self.dead_letter.parent.mkdir(parents=True, exist_ok=True)
            with self._dead_lock, open(self.dead_letter, "a", encoding="utf-8") as fh:
                for job in batch:
                    fh.write(json.dumps({"job": job[0], "data": job[1:], "error": str(exc)},
                                        default=lambda o: getattr(o, "__dict__", str(o))) + "\n")

    # -- jobs ------------------------------------------------------------------------
    def _remember(self, ids: dict[Key, int]) -> None:
        """Ids of committed rows, so events need no lookup (the most recent 100k)."""
        for key, call_id in ids.items():
            self._ids[key] = call_id
            self._ids.move_to_end(key)
        while len(self._ids) > 100_000:
            self._ids.popitem(last=False)

    def _call_id(self, session: Session, pending: dict[Key, int], key: Key) -> int | None:
        found = pending.get(key) or self._ids.get(key)
        if found is None:
            call = find_call(session, *key)
            found = call.id if call is not None else None
        return found

    def _do_mark(self, session: Session, pending: dict[Key, int], after: After,
                 done: Callable[[], None]) -> None:
        after.append(done)

    def _save(self, session: Session, pending: dict[Key, int], after: After,
              snaps: list[CallSnapshot]) -> None:
        saved = save_calls(session, snaps, self.directory)
        for snap, row in saved:
            key = (snap.pbx, snap.linkedid)
            pending[key] = row["id"]
            if snap.final:
                self._finished(session, after, key, row, snap)
        after.append(lambda: self._remember(pending))

    def _finished(self, session: Session, after: After, key: Key, row: dict[str, Any],
                  snap: CallSnapshot) -> None:
        self.bus.publish(CallRecordWritten(
            call_id=row["id"], pbx=key[0], linkedid=key[1],
            disposition=row["disposition"].value if row["disposition"] else None,
            status=row["status"].value), session=session)
        after.append(self._count_record)
        if snap.recordings:
            deadline = time.monotonic() + self.cfg.recording_wait
            files = [f.__dict__ for f in snap.recordings]
            job = ("recordings", key, row["id"], files, deadline)
            after.append(lambda: self._recordings.put(job))

    def _count_record(self) -> None:
        self.records_written += 1

    def _do_publish(self, session: Session, pending: dict[Key, int], after: After,
                    event: Event, queued_at: float | None = None, session_bound: bool = True) -> None:
        ids: dict[str, Any] = {}
        if isinstance(event, CallEvent):
            ids["call_id"] = self._call_id(session, pending, (event.pbx, event.linkedid))
        if isinstance(event, (AgentCallEvent, AgentStateChanged)) and event.interface:
            ids["agent_id"] = self.directory.agent_id(session, event.interface)
        self.bus.publish(replace(event, **ids) if ids else event, session=session if session_bound else None,
                         source_at=queued_at)

    def _do_orphans(self, session: Session, pending: dict[Key, int], after: After, pbx: str | None,
                    live: frozenset[str], before: dt.datetime) -> None:
        for call in close_orphans(session, pbx, set(live), before):
            log.warning("%s/%s: end missed; closed as interrupted", call.pbx, call.linkedid)
            disposition = call.disposition.value if call.disposition else None
            self.bus.publish(CallEnded(call_id=call.id, pbx=call.pbx, linkedid=call.linkedid,
                                       disposition=disposition, status=call.status.value), session=session)
            self.bus.publish(CallRecordWritten(call_id=call.id, pbx=call.pbx, linkedid=call.linkedid,
                                               disposition=disposition, status=call.status.value), session=session)

    def _do_queues(self, session: Session, pending: dict[Key, int], after: After, names: tuple[str, ...]) -> None:
        self.directory.learn(session, set(names))

    def _do_recordings(self, session: Session, pending: dict[Key, int], after: After, key: Key,
                       call_id: int, files: list[dict[str, Any]], deadline: float) -> None:
        infos = {f["name"]: read_header(self.recordings_dir / f["name"]) for f in files}
        if not all(i is not None and i.closed for i in infos.values()) and time.monotonic() < deadline:
            job = ("recordings", key, call_id, files, deadline)
            after.append(lambda: heapq.heappush(self._delayed, (time.monotonic() + 0.5, next(self._seq), job)))
            return
        rows = []
        for f in files:
            info = infos[f["name"]]
            if info is None:
                log.warning("%s/%s: recording %s is missing", *key, f["name"])
                continue
            rows.append({"path": f["name"], "party": f["party"], "leg_uniqueid": f["leg_uniqueid"],
                         "started_at": f["started_at"], "ended_at": f["ended_at"],
                         "muted_spans": f["muted_spans"], "duration_seconds": info.duration,
                         "size_bytes": info.size})
        ids = add_recordings(session, call_id, rows)
        if ids:
            self.bus.publish(RecordingReady(call_id=call_id, pbx=key[0], linkedid=key[1], recording_ids=ids),
                             session=session)
