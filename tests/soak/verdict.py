"""The soak's result: the ledger's counts, the probes' timings, memory, faults.

``ok`` is the verdict: every call the PBX answered has exactly one closed
record, no acknowledged ticket or booked callback is missing or doubled, and
no service exited on its own.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from callcenter.models import Call
from callcenter.wiring import Container
from tests.soak import ledger
from tests.soak.probes import Probes
from tests.soak.traffic import SoakAgent, SoakCaller
from tests.soak.world import TicketClient

if TYPE_CHECKING:
    import datetime as dt

    from tests.soak.run import Fault, Soak


def verdict(soak: Soak, container: Container, callers: list[SoakCaller], agents: list[SoakAgent],
            crm: TicketClient, probes: Probes) -> dict[str, Any]:
    sf = container.session_factory
    placed = set().union(*(c.answered() for c in callers))
    reached_agent = set().union(*(a.rung_by() for a in agents))
    # A callback is booked when the PBX itself ended the call and no agent was rung for it.
    booked = set().union(*(c.ended() for c in callers if c.books_callbacks)) - reached_agent
    plan = soak.plan
    result: dict[str, Any] = {"plan": {"calls": plan.total, "rate": plan.rate, "concurrent": plan.concurrent,
                                       "talk_ms": plan.talk_ms, "faults": list(plan.faults),
                                       "pbxes": [lab.name for lab in soak.labs]}}
    result |= ledger.calls(sf, placed)
    result["calls_reached_agent"] = len(reached_agent & placed)
    result |= ledger.tickets(sf, crm.acked)
    result["ticket_retries"] = crm.retries
    result |= ledger.callbacks(sf, booked)
    result["transcripts"] = ledger.transcripts(sf)
    result["agi"] = {"sessions": probes.agi_sessions, "commands": len(probes.agi_command),
                     **_percentiles("first", probes.agi_first), **_percentiles("command", probes.agi_command)}
    result["pop"] = {"pops": len(probes.pops), "desk_reconnects": probes.desk_reconnects,
                     **_percentiles("", probes.pops), "stages": stage_breakdown(probes.stages)}
    # How far the AMI bridge's writer ran behind the events it stored: from Asterisk's ring to its publish.
    behind = [s["published"] - s["source"] for s in probes.stages
              if s.get("source") is not None and s.get("published") is not None]
    result["writer_behind"] = {**_percentiles("", behind), "max_ms": ledger.ms(max(behind, default=None))}
    result["goals"] = {"pop_p99_ms": 300, "agi_command_p99_ms": 20, "writer_behind_max_ms": 1000}
    result["faults"] = [{"name": f.name, "at_s": round(f.at), "recovered_s": _recovery(container, f)}
                        for f in soak.faults]
    result["steady"] = steady(soak, result["faults"], probes)
    result["rss_mb"] = {name: _memory([v for _, v in svc.history], svc.restarts)
                        for name, svc in soak.services.items()}
    if soak.asterisk_rss:
        result["rss_mb"]["asterisk"] = _memory(soak.asterisk_rss, int("asterisk" in plan.faults))
    result["services_died"] = soak.died
    result["ok"] = (bool(placed) and result["records_closed"] == len(placed) and not result["missing"]
                    and result["duplicates"] == 0 and not result["tickets_lost"]
                    and result["ticket_duplicates"] == 0 and not result["callbacks_lost"]
                    and result["callback_duplicates"] == 0 and not soak.died)
    return result


SETTLE_S = 15.0  # after records close again, the backlog a fault left is still draining


def steady(soak: Soak, faults: list[dict[str, Any]], probes: Probes) -> dict[str, Any]:
    """The latency figures outside the faults: each fault's window runs from its strike until SETTLE_S after
    call records were closing again (what a fault costs is in the totals and the recovery times)."""
    windows = []
    for fault, seen in zip(soak.faults, faults, strict=True):
        if fault.started_utc is not None:
            start = fault.started_utc.timestamp()
            windows.append((start, start + (seen["recovered_s"] or 120.0) + SETTLE_S))

    def calm(at: float) -> bool:
        return not any(a <= at <= b for a, b in windows)

    pops = [v for v, at in zip(probes.pops, probes.pop_rung_at, strict=True) if calm(at)]
    commands = [v for v, at in zip(probes.agi_command, probes.agi_command_at, strict=True) if calm(at)]
    behind = [s["published"] - s["source"] for s in probes.stages
              if s.get("source") is not None and s.get("published") is not None and calm(s["source"])]
    return {"fault_windows_s": round(sum(b - a for a, b in windows), 1), "pops": len(pops),
            **_percentiles("pop", pops), **_percentiles("agi_command", commands),
            **_percentiles("writer_behind", behind), "writer_behind_max_ms": ledger.ms(max(behind, default=None))}


STAGES = ("source", "published", "received", "started", "pushed", "desk")


def stage_breakdown(stages: list[dict[str, Any]]) -> dict[str, Any]:
    """p50/p99 of each hop of a pop, and of the whole way from the AMI bridge to the desk."""
    out: dict[str, Any] = {}
    for a, b in [*itertools.pairwise(STAGES), ("source", "desk")]:
        hops = [s[b] - s[a] for s in stages if s.get(a) is not None and s.get(b) is not None]
        out[f"{a}->{b}"] = {"n": len(hops), **_percentiles("", hops)}
    return out


def _percentiles(prefix: str, values: list[float]) -> dict[str, float | None]:
    name = f"{prefix}_" if prefix else ""
    return {f"{name}p50_ms": ledger.ms(ledger.pct(values, 50)),
            f"{name}p99_ms": ledger.ms(ledger.pct(values, 99))}


def _memory(samples: list[float], restarts: int) -> dict[str, Any]:
    """First sample (load start) and last; a restarted process's last is its new incarnation's."""
    if not samples:
        return {"start": None, "end": None, "peak": None, "restarts": restarts}
    return {"start": round(samples[0], 1), "end": round(samples[-1], 1), "peak": round(max(samples), 1),
            "restarts": restarts}


def _recovery(container: Container, fault: Fault) -> float | None:
    """Seconds from the fault until call records were being closed again."""
    if fault.restarted_utc is None:
        return None
    with container.session_factory() as s:
        first: dt.datetime | None = s.scalar(select(func.min(Call.updated_at)).where(
            Call.updated_at > fault.restarted_utc, Call.status != "active"))
    if first is None:
        return None
    started: dt.datetime = fault.started_utc
    if first.tzinfo is None and started.tzinfo is not None:
        started = started.replace(tzinfo=None)
    return round((first - started).total_seconds(), 1)
