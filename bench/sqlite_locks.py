"""SQLite under a long report: does the AMI writer still get in?

A supervisor's report reads every call (a long read transaction) while the
AMI bridge writes one call per transaction. Before issue 13 every web
transaction ran ``BEGIN IMMEDIATE``, so the writer waited for the whole
report (or failed with "database is locked" after busy_timeout).

Baseline, same run: the report in a bare sqlite3 connection under
``BEGIN IMMEDIATE`` (what the old code did). Ours: the same report through
our engine (``callcenter.db``: reads begin as a plain ``BEGIN``). The writer
is the same in both: our engine, one INSERT per transaction, busy_timeout
1 s. Figures: writer latency while the report runs, and writes refused.

    .venv/bin/python bench/sqlite_locks.py [--quick]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text
from sqlalchemy.exc import OperationalError

from callcenter import migrations
from callcenter.config import DatabaseSettings
from callcenter.db import make_engine, make_read_session_factory, make_session_factory
from callcenter.models import Call, CallStatus

REPORT = ("SELECT c.status, count(*), avg(length(c.caller_number)), max(c.started_at) FROM calls c "
          "LEFT JOIN calls d ON d.id = c.id + 1 GROUP BY c.status")


def seed(path: Path, calls: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        for first in range(0, calls, 10_000):
            conn.execute(insert(Call), [
                {"pbx": "lab", "linkedid": f"seed.{i}", "status": CallStatus.COMPLETE,
                 "caller_number": f"+1202555{i % 10000:04d}", "started_at": start} for i in range(first,
                                                                                         min(calls, first + 10_000))])
    engine.dispose()


def writer(url: str, stop: threading.Event, out: list[float], refused: list[int]) -> None:
    engine = make_engine(DatabaseSettings(url=url, sqlite_busy_timeout_ms=1000))
    factory = make_session_factory(engine)
    n = 0
    while not stop.is_set():
        n += 1
        t0 = time.perf_counter()
        try:
            with factory.begin() as s:
                s.execute(insert(Call).values(pbx="lab", linkedid=f"w.{time.time_ns()}.{n}",
                                              started_at=dt.datetime.now(dt.UTC)))
            out.append((time.perf_counter() - t0) * 1000)
        except OperationalError:
            refused[0] += 1
        time.sleep(0.01)
    engine.dispose()


def run_report(kind: str, url: str, path: Path, repeats: int) -> float:
    t0 = time.perf_counter()
    if kind == "old":
        conn = sqlite3.connect(path, isolation_level=None, timeout=5)
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(repeats):
            conn.execute(REPORT).fetchall()
        conn.execute("COMMIT")
        conn.close()
    else:
        engine = make_engine(url)
        with make_read_session_factory(engine)() as s, s.begin():
            for _ in range(repeats):
                s.execute(text(REPORT)).all()
        engine.dispose()
    return time.perf_counter() - t0


def scenario(kind: str, url: str, path: Path, repeats: int) -> dict[str, float]:
    lat: list[float] = []
    refused = [0]
    stop = threading.Event()
    t = threading.Thread(target=writer, args=(url, stop, lat, refused))
    t.start()
    time.sleep(0.2)
    before = len(lat)
    seconds = run_report(kind, url, path, repeats)
    stop.set()
    t.join()
    during = lat[before:] or [0.0]
    ranked = sorted(during)
    return {"report_s": seconds, "writes": len(during), "refused": refused[0], "p50_ms": statistics.median(during),
            "p99_ms": ranked[int(0.99 * (len(ranked) - 1))], "max_ms": max(during)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    calls, repeats = (60_000, 12) if args.quick else (500_000, 6)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        seed(path, calls)
        url = f"sqlite:///{path}"
        old = scenario("old", url, path, repeats)
        new = scenario("new", url, path, repeats)
    table = Table(title=f"Writer beside a long report ({calls:,} calls, SQLite WAL, busy_timeout 1 s)")
    for col in ("", "report s", "writes during", "refused", "p50 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="right")
    for name, r in (("baseline: report under BEGIN IMMEDIATE", old), ("ours: report as a read", new)):
        table.add_row(name, f"{r['report_s']:.2f}", str(int(r["writes"])), str(int(r["refused"])),
                      f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['max_ms']:.1f}")
    Console(width=130).print(table)
    print(json.dumps({"bench": "sqlite_locks", "calls": calls, "report_s": round(new["report_s"], 2),
                      "baseline_refused": int(old["refused"]), "refused": int(new["refused"]),
                      "baseline_writes": int(old["writes"]), "writes": int(new["writes"]),
                      "baseline_writer_max_ms": round(old["max_ms"], 1), "writer_p99_ms": round(new["p99_ms"], 1),
                      "writer_max_ms": round(new["max_ms"], 1),
                      "max_wait_ratio": round(new["max_ms"] / old["max_ms"], 3) if old["max_ms"] else None}))


if __name__ == "__main__":
    main()
