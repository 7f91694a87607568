"""Dispatcher benchmark: assignment decisions per second and scheduled-job lateness.

1. Assignment: 10,000 tickets over 200 agents (10 skills, 2 languages, mixed
   priorities and VIPs).  Ours: the rule engine on a skill-indexed snapshot
   (callcenter.dispatch.assignment).  Baseline, same run: the obvious
   implementation that scores and sorts every agent for every ticket.  Also
   end to end: decisions written to SQLite as TicketChange rows.
2. Scheduling: N one-off jobs spread over a window, run by our scheduler
   (APScheduler + SQLAlchemyJobStore on SQLite, as the dispatcher runs it)
   and, as the baseline, by APScheduler with its in-memory store.  Lateness
   = job start - due time.

Goals (the issue): >= 2,000 assignments/s; p99 lateness < 1 s.

    .venv/bin/python bench/dispatch.py [--quick]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from callcenter.config import AssignmentRules, SchedulerSettings
from callcenter.dispatch.assignment import AgentState, Decision, Engine, Snapshot, TicketNeeds

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

UTC = dt.UTC
NOW = dt.datetime.now(UTC)
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]


def make_agents(n: int, rng: random.Random) -> dict[int, AgentState]:
    agents = {}
    for i in range(1, n + 1):
        skills = {s: rng.randint(1, 5) for s in rng.sample(range(1, 11), rng.randint(1, 3))}
        langs = frozenset(rng.sample(["en", "zh"], rng.randint(1, 2)))
        agents[i] = AgentState(i, f"agent{i}", skills=skills, languages=langs, seniority=rng.randint(1, 5),
                               capacity=10_000, on_call=rng.random() < 0.3)
    return agents


def make_tickets(n: int, rng: random.Random) -> list[TicketNeeds]:
    return [TicketNeeds(i, skills={rng.randint(1, 10): rng.randint(1, 2)}, language=rng.choice(["en", "zh", None]),
                        priority=rng.choice(PRIORITIES), vip="gold" if rng.random() < 0.05 else "none")
            for i in range(n)]


def naive_decide(engine: Engine, agents: list[AgentState], needs: TicketNeeds) -> int | None:
    """Baseline: check and score every agent, sort them all, take the first."""
    ranked = sorted((a for a in agents if engine.qualifies(a, needs)),
                    key=lambda a: (engine.score(a, needs), a.open_count, a.user_id))
    return ranked[0].user_id if ranked else None


def bench_assignment(n_tickets: int, n_agents: int) -> dict[str, float]:
    rng = random.Random(7)
    engine = Engine(AssignmentRules())
    tickets = make_tickets(n_tickets, rng)
    snap = Snapshot(make_agents(n_agents, random.Random(3)))
    t0 = time.perf_counter()
    for needs in tickets:
        engine.commit(snap, needs, engine.decide(snap, needs, NOW), NOW)
    ours = n_tickets / (time.perf_counter() - t0)
    loads = [a.open_count for a in snap.agents.values()]
    base_agents = list(make_agents(n_agents, random.Random(3)).values())
    base_snap = Snapshot({a.user_id: a for a in base_agents})
    t0 = time.perf_counter()
    for needs in tickets:
        agent = naive_decide(engine, base_agents, needs)
        if agent is not None:
            engine.commit(base_snap, needs, engine.decide(base_snap, needs, NOW) if False else
                          _decision(needs, agent), NOW)
    base = n_tickets / (time.perf_counter() - t0)
    return {"ours": ours, "baseline": base, "max_open": max(loads), "mean_open": statistics.mean(loads)}


def _decision(needs: TicketNeeds, agent: int) -> Decision:
    return Decision(needs.ticket_id, agent, "matched", "")


def bench_persisted(n_tickets: int, n_agents: int, workdir: Path) -> float:
    """Decisions recorded on real tickets (TicketChange with the explanation) in SQLite."""
    from callcenter import migrations
    from callcenter.access.audit import Actor
    from callcenter.db import make_engine, make_session_factory, transaction
    from callcenter.dispatch.assigner import Assigner
    from callcenter.models import AgentProfile, AgentSkill, Role, Skill, User
    from callcenter.tickets.notifier import TicketNotifier
    from callcenter.tickets.service import TicketService

    engine = make_engine(f"sqlite:///{workdir / 'assign.db'}")
    migrations.upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(5)
    tickets, bench = TicketService(TicketNotifier(None)), Actor.system("bench")
    with transaction(factory) as s:
        s.add_all([Skill(name=f"skill{i}") for i in range(1, 11)])
        s.flush()
        for i in range(n_agents):
            u = User(username=f"a{i}", role=Role.AGENT, password_hash="x")
            s.add(u)
            s.flush()
            p = AgentProfile(user_id=u.id, languages=["en", "zh"], capacity=10_000)
            p.skills = [AgentSkill(skill_id=k, level=3) for k in rng.sample(range(1, 11), 2)]
            s.add(p)
        ids = [tickets.create(s, bench, subject="t", needed_skill_id=rng.randint(1, 10)).id for _ in range(n_tickets)]
    assigner = Assigner(AssignmentRules(), tickets)
    t0 = time.perf_counter()
    with transaction(factory) as s:
        from callcenter.dispatch.load import build_snapshot

        snap = build_snapshot(s, assigner.rules, None, NOW)
        for tid in ids:
            assigner.assign(s, tid, NOW, snapshot=snap)
    rate = n_tickets / (time.perf_counter() - t0)
    engine.dispose()
    return rate


# -- scheduling -------------------------------------------------------------------------
STARTS: dict[int, float] = {}
DUE: dict[int, float] = {}
LOCK = threading.Lock()


def probe(i: int) -> None:
    started = time.time()
    with LOCK:
        STARTS[i] = started


def run_jobs(scheduler: BaseScheduler, n: int, window: float, lead: float) -> tuple[list[float], float]:
    STARTS.clear()
    DUE.clear()
    scheduler.start()
    base = time.time() + lead
    t0 = time.perf_counter()
    for i in range(n):
        due = base + window * i / n
        DUE[i] = due
        scheduler.add_job(probe, "date", run_date=dt.datetime.fromtimestamp(due, UTC), args=[i], id=f"bench:{i}")
    added = n / (time.perf_counter() - t0)
    deadline = base + window + 60
    while len(STARTS) < n and time.time() < deadline:
        time.sleep(0.2)
    scheduler.shutdown(wait=True)
    late = sorted(STARTS[i] - DUE[i] for i in STARTS)
    late += [float("inf")] * (n - len(late))
    return late, added


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def bench_scheduler(n: int, window: float, workdir: Path) -> dict[str, dict[str, float]]:
    from apscheduler.schedulers.background import BackgroundScheduler

    from callcenter import migrations
    from callcenter.db import make_engine
    from callcenter.dispatch import scheduler as sched

    engine = make_engine(f"sqlite:///{workdir / 'jobs.db'}")
    migrations.upgrade(engine)
    lead = 2.0 + n * 0.006  # time to store the jobs (one commit each) before the first is due
    ours, ours_add = run_jobs(sched.build(engine, SchedulerSettings()), n, window, lead)
    engine.dispose()
    base, base_add = run_jobs(BackgroundScheduler(timezone=UTC, job_defaults=sched.JOB_DEFAULTS), n, window, 1.0)
    out = {}
    for name, late, added in (("ours", ours, ours_add), ("baseline", base, base_add)):
        out[name] = {"p50": pct(late, 50), "p99": pct(late, 99), "max": late[-1], "added_per_s": added,
                     "ran": sum(1 for x in late if x != float("inf"))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller runs (well under a minute)")
    args = ap.parse_args()
    n_tickets, n_agents = (2_000, 200) if args.quick else (10_000, 200)
    n_jobs, window = (600, 4.0) if args.quick else (10_000, 40.0)
    with tempfile.TemporaryDirectory() as tmp:
        a = bench_assignment(n_tickets, n_agents)
        persisted = bench_persisted(300 if args.quick else 1_000, n_agents, Path(tmp))
        s = bench_scheduler(n_jobs, window, Path(tmp))
    console = Console(width=110)
    t = Table(title=f"Assignment: {n_tickets:,} tickets, {n_agents} agents")
    for col in ("variant", "decisions/s", "vs baseline"):
        t.add_column(col)
    t.add_row("ours (skill-indexed snapshot)", f"{a['ours']:,.0f}", f"{a['ours'] / a['baseline']:.1f}x")
    t.add_row("baseline (score + sort every agent)", f"{a['baseline']:,.0f}", "1.0x")
    t.add_row("ours, each written to a SQLite ticket", f"{persisted:,.0f}", "(with DB writes)")
    console.print(t)
    console.print(f"load balance: max {a['max_open']} / mean {a['mean_open']:.1f} open tickets per agent")
    t = Table(title=f"Scheduling: {n_jobs:,} jobs over {window:.0f} s")
    for col in ("scheduler", "p50 late (ms)", "p99 late (ms)", "max late (ms)", "ran", "added/s"):
        t.add_column(col)
    for name, label in (("ours", "ours (SQLAlchemyJobStore, SQLite)"), ("baseline", "APScheduler MemoryJobStore")):
        r = s[name]
        t.add_row(label, f"{r['p50'] * 1000:.1f}", f"{r['p99'] * 1000:.1f}", f"{r['max'] * 1000:.1f}",
                  f"{r['ran']:.0f}", f"{r['added_per_s']:,.0f}")
    console.print(t)
    result = {"tickets": n_tickets, "agents": n_agents, "assignments_per_s": round(a["ours"]),
              "baseline_assignments_per_s": round(a["baseline"]),
              "assign_speedup": round(a["ours"] / a["baseline"], 2), "persisted_assignments_per_s": round(persisted),
              "jobs": n_jobs, "lateness_p99_s": round(s["ours"]["p99"], 4),
              "lateness_p50_s": round(s["ours"]["p50"], 4),
              "baseline_lateness_p99_s": round(s["baseline"]["p99"], 4), "jobs_ran": s["ours"]["ran"],
              "goal_assignments_per_s": 2000, "goal_lateness_p99_s": 1.0}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
