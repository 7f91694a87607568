"""Outbound webhooks: deliveries per second and the time from a change's commit to its receiver.

Two endpoints ask for ``ticket_updated``; the ticket changes go through the
ticket service (each a transaction that writes its deliveries, as in
production).  A receiver in a process of its own verifies every delivery with
the Standard Webhooks reference library, on SQLite and, when it is there,
PostgreSQL.

1. Throughput: the deliveries the changes made, drained by the sender service
   (``[webhooks] workers`` threads, each claim a lease, each post settled at
   once).  Baseline in the same run: a bare ``httpx`` loop posting the same
   bodies, signed the same way, to the same receiver (nothing claimed or
   recorded).  Goal: ours >= 0.5x the bare loop.
2. Latency: changes made at a steady rate while the sender runs; from each
   delivery row's time (written in the change's transaction, just before its
   commit) to the receiver's receipt.  Goal: p99 < 1 s.

    .venv/bin/python bench/webhooks.py [--quick]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from bench.scratch_pg import scratch_database
from callcenter import migrations
from callcenter.access.audit import Actor
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import DeliveryStatus, Role, Ticket, TicketStatus, User, WebhookDelivery
from callcenter.webhooks.sender import Claimed, Sender, headers
from callcenter.wiring import Container
from tests.support.receiver import in_process_of_its_own

GOAL_RATIO, GOAL_P99_MS = 0.5, 1000.0
SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtYmVuY2htYXJrLW9ubHktMDE="


def ms(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else 0.0


def _setup(container: Container, url: str, tickets: int) -> list[int]:
    """Two endpoints wanting ``ticket_updated`` (with the receiver's secret), and ``tickets`` open tickets."""
    with transaction(container.session_factory) as s:
        ada = User(username="ada", role=Role.ADMIN, password_hash="x", display_name="Ada")
        s.add(ada)
        s.flush()
        for name in ("CRM", "ERP"):
            endpoint = container.webhook_endpoints.save(s, Actor.of(ada), name=name, url=url,
                                                        wanted=["ticket_updated"])
            endpoint.secret = SECRET
    with container.engine.begin() as conn:
        conn.execute(insert(Ticket), [{"number": f"8{i:09d}", "subject": f"退货 {i}：耳机左耳没有声音",
                                       "status": TicketStatus.OPEN, "category": "returns"} for i in range(tickets)])
        return list(conn.scalars(select(Ticket.id).order_by(Ticket.id)))


def _change(container: Container, ticket_ids: Sequence[int], status: TicketStatus) -> None:
    """Each ticket's status changed in its own transaction, through the ticket service."""
    for ticket_id in ticket_ids:
        with transaction(container.session_factory) as s:
            ticket = s.get(Ticket, ticket_id)
            assert ticket is not None
            container.tickets.change(s, ticket, Actor.system("bench"), status=status)


def _settings(db_url: str, workdir: Path) -> Settings:
    return Settings(instance_dir=workdir / "instance", database={"url": db_url}, lab={"enabled": False},
                    web={"secret_key": "bench", "port": 0})


def _sender_main(db_url: str, workdir: Path, ready: Any, stop: Any) -> None:
    """The sender service in a process of its own, as ``callcenter webhooks`` runs it (not sharing a GIL with
    the changes being made)."""
    container = Container(_settings(db_url, workdir))
    try:
        sender = container.service("webhooks")
        assert isinstance(sender, Sender)
        done = threading.Event()

        def relay() -> None:
            stop.wait()
            done.set()

        threading.Thread(target=relay, daemon=True).start()
        ready.set()
        sender.run(done, 0.01)
    finally:
        container.close()


class SenderProcess:
    """Start the sender process; stop it (and wait for it) on leaving."""

    def __init__(self, db_url: str, workdir: Path) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.ready, self.stop = ctx.Event(), ctx.Event()
        self.process = ctx.Process(target=_sender_main, args=(db_url, workdir, self.ready, self.stop), daemon=True)

    def __enter__(self) -> SenderProcess:
        self.process.start()
        if not self.ready.wait(60):
            raise RuntimeError("the sender process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.process.join(30)


def _delivered(container: Container) -> int:
    with container.session_factory() as s:
        return s.scalar(select(func.count()).select_from(WebhookDelivery)
                        .where(WebhookDelivery.status == DeliveryStatus.DELIVERED)) or 0


def _drain(container: Container, until: int) -> float:
    """Wait until ``until`` deliveries are delivered (the sender's process just started); the seconds it took."""
    started = time.perf_counter()
    while _delivered(container) < until:
        time.sleep(0.05)
    return time.perf_counter() - started


def _bare_urllib3(container: Container, url: str) -> float:
    """The same, by one bare urllib3 loop: the client the sender itself uses (a second, stricter baseline)."""
    import urllib3

    with container.session_factory() as s:
        rows = s.execute(select(WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookDelivery.message_id,
                                WebhookDelivery.body, WebhookDelivery.created_at)).all()
    claimed = [Claimed(r.id, r.endpoint_id, url, SECRET, r.message_id, r.body, 0, r.created_at, False)
               for r in rows]
    with urllib3.PoolManager(retries=False) as pool:
        started = time.perf_counter()
        for one in claimed:
            answer = pool.request("POST", url, body=one.body.encode(), headers=headers(one, dt.datetime.now(dt.UTC)))
            assert answer.status == 200, answer.status
        return time.perf_counter() - started


def _bare(container: Container, url: str) -> tuple[int, float]:
    """The same bodies, signed the same way, posted by one bare httpx loop (nothing claimed or recorded)."""
    with container.session_factory() as s:
        rows = s.execute(select(WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookDelivery.message_id,
                                WebhookDelivery.body, WebhookDelivery.created_at)).all()
    claimed = [Claimed(r.id, r.endpoint_id, url, SECRET, r.message_id, r.body, 0, r.created_at, False)
               for r in rows]
    with httpx.Client() as client:
        started = time.perf_counter()
        for one in claimed:
            answer = client.post(url, content=one.body.encode(), headers=headers(one, dt.datetime.now(dt.UTC)))
            answer.raise_for_status()
        return len(claimed), time.perf_counter() - started


def run_on(db_url: str, workdir: Path, changes: int, steady: int, rate: float) -> dict[str, Any]:
    receiver, url = in_process_of_its_own(SECRET)
    container = Container(_settings(db_url, workdir))
    try:
        migrations.upgrade(container.engine)
        ids = _setup(container, url, changes)
        started = time.perf_counter()
        _change(container, ids, TicketStatus.PENDING)
        change_s = time.perf_counter() - started
        bare_n, bare_s = _bare(container, url)
        urllib3_s = _bare_urllib3(container, url)
        with SenderProcess(db_url, workdir):
            ours_s = _drain(container, bare_n)
            # Latency at a steady rate: the same sender, running on, while changes arrive.
            begun = time.perf_counter()
            for i, ticket_id in enumerate(ids[:steady]):
                _change(container, [ticket_id], TicketStatus.RESOLVED)
                time.sleep(max(0.0, begun + (i + 1) / rate - time.perf_counter()))
            deadline = time.monotonic() + 60
            while True:
                with container.session_factory() as s:
                    left = s.scalar(select(func.count()).select_from(WebhookDelivery)
                                    .where(WebhookDelivery.status == DeliveryStatus.PENDING)) or 0
                if not left or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        arrived = dict(httpx.get(url).json()["arrived"])
        with container.session_factory() as s:
            made = s.execute(select(WebhookDelivery.message_id, WebhookDelivery.created_at)
                             .where(WebhookDelivery.id > bare_n)).all()
            delivered = s.scalar(select(func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.status == DeliveryStatus.DELIVERED)) or 0
        lags = [arrived[m] - at.timestamp() for m, at in made if m in arrived]
        missing = sum(1 for m, _ in made if m not in arrived)
        return {"changes": changes, "deliveries": bare_n, "change_s": round(change_s, 2),
                "ours_s": round(ours_s, 2), "ours_per_s": round(bare_n / ours_s, 1),
                "bare_s": round(bare_s, 2), "bare_per_s": round(bare_n / bare_s, 1),
                "ratio": round(bare_s / ours_s, 3), "bare_urllib3_per_s": round(bare_n / urllib3_s, 1),
                "ratio_urllib3": round(urllib3_s / ours_s, 3), "steady_rate": rate, "steady_deliveries": len(made),
                "lag_p50_ms": ms(lags, 0.5), "lag_p99_ms": ms(lags, 0.99), "missing": missing,
                "all_delivered": delivered == bare_n + len(made)}
    finally:
        container.close()
        receiver.terminate()


def run(changes: int, steady: int, rate: float, workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"sqlite": run_on(f"sqlite:///{workdir / 'hooks.db'}", workdir, changes, steady, rate)}
    with scratch_database() as url:
        if url is not None:
            result["postgresql"] = run_on(url, workdir, changes, steady, rate)
    engines = [r for k, r in result.items() if k in ("sqlite", "postgresql")]
    result |= {"goal_ratio": GOAL_RATIO, "goal_ratio_met": min(r["ratio"] for r in engines) >= GOAL_RATIO,
               "goal_p99_ms": GOAL_P99_MS, "goal_p99_met": max(r["lag_p99_ms"] for r in engines) < GOAL_P99_MS,
               "all_delivered": all(r["all_delivered"] for r in engines)}
    return result


def report(r: dict[str, Any], console: Console) -> None:
    t = Table(title="Webhook deliveries (two endpoints, ticket_updated), receiver verifying each")
    for col in ("engine", "deliveries", "ours /s", "bare httpx /s", "ours / bare", "bare urllib3 /s",
                "ours / bare urllib3", "steady rate",
                "lag p50 (ms)", "lag p99 (ms)", "all delivered"):
        t.add_column(col)
    for engine in ("sqlite", "postgresql"):
        if engine in r:
            e = r[engine]
            t.add_row(engine, f"{e['deliveries']:,}", f"{e['ours_per_s']:,.0f}", f"{e['bare_per_s']:,.0f}",
                      f"{e['ratio']:.2f}x", f"{e['bare_urllib3_per_s']:,.0f}", f"{e['ratio_urllib3']:.2f}x",
                      f"{e['steady_rate']:.0f}/s", f"{e['lag_p50_ms']:.0f}",
                      f"{e['lag_p99_ms']:.0f}", str(e["all_delivered"]))
    console.print(t)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2,000 changes (4,000 deliveries), 300 at a steady rate")
    ap.add_argument("--changes", type=int)
    ap.add_argument("--steady", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=50.0, help="changes per second while measuring the lag")
    args = ap.parse_args(argv)
    changes = args.changes or (2_000 if args.quick else 100_000)
    steady = min(changes, 300 if args.quick else args.steady)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(changes, steady, args.rate, Path(tmp))
    report(result, Console(width=120))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
