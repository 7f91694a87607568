"""``callcenter calls``: recent call records, or the live picture (``--live``).

The live view runs its own read-only bridge (no writer): it needs only AMI
access, so it works beside a bridge in another process or on another host.
"""
from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..models import Call


def _fmt_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


def recent_table(session_factory: sessionmaker[Session], limit: int) -> Table:
    table = Table(title=f"Last {limit} calls")
    for column in ("started", "pbx", "caller", "queue", "agent", "wait", "talk", "disposition", "status"):
        table.add_column(column)
    with session_factory() as s:
        for call in s.scalars(select(Call).order_by(Call.started_at.desc()).limit(limit)):
            agent = call.agents_rung[-1] if call.agents_rung and call.answered_at else "-"
            table.add_row(_fmt_time(call.started_at), call.pbx,
                          call.caller_number or call.caller_raw or "-", call.queue_name or "-", agent,
                          _secs(call.wait_seconds), _secs(call.talk_seconds),
                          call.disposition.value if call.disposition else "-", call.status.value)
    return table


def live_tables(snapshots: list[dict[str, Any]], now: float) -> Group:
    calls, queues, agents = Table(title="Active calls"), Table(title="Queues"), Table(title="Agents")
    for table, columns in ((calls, ("pbx", "caller", "queue", "agent", "duration")),
                           (queues, ("pbx", "queue", "waiting", "longest wait")),
                           (agents, ("pbx", "agent", "state", "queues"))):
        for column in columns:
            table.add_column(column)
    for snap in snapshots:
        for c in snap["calls"]:
            calls.add_row(snap["pbx"], c["caller"] or "-", c["queue"] or "-", c["agent"] or "-",
                          _secs(now - c["started_at"]))
        for q in snap["queues"]:
            queues.add_row(snap["pbx"], q["queue"], str(q["waiting"]), _secs(q["longest_wait"]))
        for a in snap["agents"]:
            agents.add_row(snap["pbx"], a["name"] or a["interface"], a["state"], ", ".join(a["queues"]))
    return Group(calls, queues, agents)


def show_live(settings: Settings, seconds: float | None = None) -> None:
    """Refresh twice a second until Ctrl-C (or for ``seconds``)."""
    from .bridge import AMIService

    service = AMIService(settings, persist=False)
    service.start()
    console = Console()
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        with Live(live_tables([], time.time()), console=console, refresh_per_second=4) as live:
            while deadline is None or time.monotonic() < deadline:
                live.update(live_tables(service.snapshot(), time.time()))
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
