"""AMI ingest: the whole bridge pipeline against panoramisk's parser alone.

A large transcript is made from the real lab captures (tests/fixtures/ami/)
by replaying them with fresh Uniqueids/Linkedids, shifted in time so ~50
calls overlap, keeping the real event shapes.  Then, in the same run and
pinned to ONE core:

* baseline: panoramisk 1.4's ``AMIProtocol.data_received`` (its
  ``Message.from_line`` path, as its Manager uses it) on the same bytes;
* ours: the bytes arrive over a real TCP socket into the bridge's event
  loop (parse -> interpret -> accumulate) while the writer thread persists
  every call and publishes every event (SQLite + LocalBus, then PostgreSQL +
  LISTEN/NOTIFY).  The clock stops when the last record is committed.

Event-loop stalls: the longest gap a 5 ms heartbeat on the loop saw, and
the longest single ``data_received`` (Asterisk drops a client that does not
read for 100 ms), and the longest garbage collection meanwhile (the bridge
freezes its start-up objects, see ``bridge.settle_memory``).

    .venv/bin/python bench/ami_ingest.py [--quick]

The last line printed is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import heapq
import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from panoramisk.ami_protocol import AMIProtocol

from callcenter import migrations
from callcenter.ami.accumulator import Accumulator
from callcenter.ami.bridge import settle_memory
from callcenter.ami.capture import read_transcript
from callcenter.ami.interpreter import Interpreter
from callcenter.ami.live import LiveState
from callcenter.ami.notifier import Notifier
from callcenter.ami.protocol import AMIEvent, EventProtocol, iter_events
from callcenter.ami.replay import _Factory
from callcenter.ami.writer import Writer
from callcenter.config import Settings
from callcenter.wiring import Container

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

FIXTURES = ROOT / "tests" / "fixtures" / "ami"
SCENARIOS = ("answered", "abandoned_queue", "abandoned_ivr", "callback_requested", "ring_no_answer",
             "transferred", "callback_outbound")
ID_KEYS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid", "TransfererUniqueid",
           "TransfererLinkedid", "TransfereeUniqueid", "TransfereeLinkedid")
PG_ADMIN = os.environ.get("CALLCENTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


# -- the transcript ---------------------------------------------------------------
def _copy(events: list[AMIEvent], n: int, shift: float) -> list[AMIEvent]:
    def fresh(old: str) -> str:
        if old.startswith("cc-"):
            return f"cc-{n:08x}{old[11:]}"
        return f"{n}.{old.rsplit('.', 1)[-1]}"
    out = []
    for ev in events:
        ev = dict(ev)
        for key in ID_KEYS:
            if key in ev:
                ev[key] = fresh(ev[key])
        ev["Timestamp"] = f"{float(ev['Timestamp']) + shift:.6f}"
        out.append(ev)
    return out


def build(target_events: int) -> tuple[bytes, int, int]:
    base = {name: [e for e in iter_events(read_transcript(FIXTURES / f"{name}.txt")) if "Timestamp" in e]
            for name in SCENARIOS}
    starts = {name: float(evs[0]["Timestamp"]) for name, evs in base.items()}
    streams, total, calls, n = [], 0, 0, 0
    while total < target_events:
        name = SCENARIOS[n % len(SCENARIOS)]
        stream = _copy(base[name], n, n * 0.2 - starts[name])
        streams.append([(float(e["Timestamp"]), i, e) for i, e in enumerate(stream)])
        total, calls, n = total + len(stream), calls + 1, n + 1
    merged = heapq.merge(*streams, key=lambda t: t[0])
    text = "".join("".join(f"{k}: {v}\r\n" for k, v in e.items()) + "\r\n" for _, _, e in merged)
    return text.encode(), total, calls


# -- baseline: panoramisk's parser alone ------------------------------------------------
def panoramisk_parse(data: bytes, chunk: int = 65536) -> float:
    class Factory:
        save_stream, forgetable_actions, n = None, (), 0

        def dispatch(self, message: object) -> None:
            self.n += 1

    protocol = AMIProtocol()
    protocol.connection_made(None)
    protocol.factory = Factory()
    started = time.perf_counter()
    for i in range(0, len(data), chunk):
        protocol.data_received(data[i:i + chunk])
    return time.perf_counter() - started


# -- ours: socket -> loop -> interpreter -> writer -> database + bus -------------------------
class _Timed(EventProtocol):
    longest = 0.0

    def data_received(self, data: bytes) -> None:
        t = time.perf_counter()
        super().data_received(data)
        _Timed.longest = max(_Timed.longest, time.perf_counter() - t)


def _serve(data: bytes) -> int:
    server = socket.create_server(("127.0.0.1", 0))

    def send() -> None:
        conn, _ = server.accept()
        conn.sendall(data)
        conn.close()
        server.close()
    threading.Thread(target=send, daemon=True).start()
    port: int = server.getsockname()[1]
    return port


async def _ingest(data: bytes, interpreter: Interpreter) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    stall = 0.0

    async def heartbeat() -> None:
        nonlocal stall
        while not done.done():
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            stall = max(stall, time.perf_counter() - t - 0.005)

    class Protocol(_Timed):
        def connection_lost(self, exc: Exception | None) -> None:
            if not done.done():
                done.set_result(None)

    beat = asyncio.ensure_future(heartbeat())
    factory = _Factory(interpreter.handle)
    _transport, protocol = await loop.create_connection(Protocol, "127.0.0.1", _serve(data))
    protocol.factory = factory
    await done
    await beat
    return stall, _Timed.longest


class _GCPauses:
    """The longest garbage collection (any thread) while the pipeline ran."""

    def __init__(self) -> None:
        self.longest, self._began = 0.0, 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._began)

    def __enter__(self) -> None:
        gc.callbacks.append(self._callback)

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


def pipeline(data: bytes, url: str, events: int, calls: int) -> dict[str, float]:
    settings = Settings(database={"url": url}, lab={"enabled": False},
                        ami={"recording_wait": 0.0, "writer_batch": 200})
    container = Container(settings)
    migrations.upgrade(container.engine)
    with tempfile.TemporaryDirectory() as tmp:
        writer = Writer(container.session_factory, container.bus, Path(tmp), settings.ami)
        acc = Accumulator("bench")
        interpreter = Interpreter(acc, LiveState(acc), Notifier(writer), writer)
        settle_memory()  # as AMIService.start() does
        gc_pause = _GCPauses()
        writer.start()
        _Timed.longest = 0.0
        started = time.perf_counter()
        with gc_pause:
            stall, longest_read = asyncio.run(_ingest(data, interpreter))
            parsed = time.perf_counter() - started
            assert writer.flush(600)
            elapsed = time.perf_counter() - started
        writer.stop()
    written = writer.records_written
    container.close()
    assert written == calls, (written, calls)
    return {"events_per_s": events / elapsed, "loop_events_per_s": events / parsed,
            "records_per_s": written / elapsed, "records": written, "seconds": elapsed,
            "max_stall_ms": stall * 1000, "longest_read_ms": longest_read * 1000,
            "longest_gc_ms": gc_pause.longest * 1000}


def _pg_database() -> tuple[str, tuple[psycopg.Connection[TupleRow], str]] | None:
    try:
        import psycopg
        admin = psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True,
                                connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - reported, the SQLite figures still stand
        print(f"PostgreSQL unavailable ({exc}); skipping it")
        return None
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k events instead of 120k")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("callcenter.ami.writer").setLevel(
        logging.WARNING if os.environ.get("BENCH_DEBUG") else logging.ERROR)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    data, events, calls = build(20_000 if args.quick else 120_000)
    print(f"transcript: {events} events, {calls} calls, {len(data) / 1e6:.1f} MB (from {len(SCENARIOS)} lab captures)")
    base = min(panoramisk_parse(data) for _ in range(2))
    raw = events / base
    results = {"sqlite": pipeline(data, f"sqlite:///{tempfile.mkdtemp()}/bench.db", events, calls)}
    pg = _pg_database()
    if pg is not None:
        url, (admin, name) = pg
        try:
            results["postgresql"] = pipeline(data, url, events, calls)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"\n{'pipeline':<34}{'events/s':>12}{'records/s':>12}{'max stall':>12}{'longest read':>14}"
          f"{'longest gc':>12}")
    print(f"{'panoramisk parse only (baseline)':<34}{raw:>12,.0f}{'-':>12}{'-':>12}{'-':>14}{'-':>12}")
    for engine, r in results.items():
        print(f"{'ours, full, ' + engine:<34}{r['events_per_s']:>12,.0f}{r['records_per_s']:>12,.0f}"
              f"{r['max_stall_ms']:>10.1f}ms{r['longest_read_ms']:>12.1f}ms{r['longest_gc_ms']:>10.1f}ms")
    sqlite = results["sqlite"]
    figures = {
        "events": events, "calls": calls, "one_core": hasattr(os, "sched_setaffinity"),
        "panoramisk_parse_events_per_s": round(raw),
        "pipeline_events_per_s": round(sqlite["events_per_s"]),
        "ratio_vs_panoramisk": round(sqlite["events_per_s"] / raw, 2),
        "loop_only_events_per_s": round(sqlite["loop_events_per_s"]),
        "records_per_s_sqlite": round(sqlite["records_per_s"], 1),
        "records_per_s_postgresql": round(results["postgresql"]["records_per_s"], 1) if pg else None,
        "pipeline_events_per_s_postgresql": round(results["postgresql"]["events_per_s"]) if pg else None,
        "max_loop_stall_ms": round(max(r["max_stall_ms"] for r in results.values()), 1),
        "longest_read_ms": round(max(r["longest_read_ms"] for r in results.values()), 1),
        "longest_gc_ms": round(max(r["longest_gc_ms"] for r in results.values()), 1),
        "goal_events_per_s": 20000, "goal_ratio": 0.5, "goal_stall_ms": 20,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
