"""`callcenter dispatch ...`: the dispatcher seen from a terminal (rich tables)."""
from __future__ import annotations

import datetime as dt

import click
from rich.console import Console
from rich.table import Table

from ..calls.numbers import display
from ..dispatch.status import gather
from ..models import utcnow
from ..wiring import Container


def _when(at: dt.datetime | None, now: dt.datetime) -> str:
    if at is None:
        return "-"
    secs = (at - now).total_seconds()
    rel = f"in {secs / 60:.0f} min" if secs >= 0 else f"{-secs / 60:.0f} min ago"
    return f"{at:%Y-%m-%d %H:%M:%S} ({rel})"


@click.group("dispatch")
def dispatch() -> None:
    """The dispatcher: assignment, SLA timers, callbacks and surveys."""


@dispatch.command("status")
@click.option("--limit", default=20, show_default=True, help="Rows per table.")
@click.pass_obj
def status(container: Container, limit: int) -> None:
    """Queued jobs, due callbacks and SLA breaches."""
    now = utcnow()
    with container.session_factory() as session:
        st = gather(container.engine, session, now, limit)
    console = Console()
    console.print(f"[bold]Active dispatcher:[/bold] {st.active}")
    runs = ", ".join(f"{k} {v}" for k, v in sorted(st.runs_last_hour.items())) or "none"
    console.print(f"[bold]Runs in the last hour:[/bold] {runs}")

    jobs = Table(title=f"Queued jobs ({st.jobs_total})")
    jobs.add_column("job")
    jobs.add_column("due")
    for job_id, at in st.jobs:
        jobs.add_row(job_id, _when(at, now))
    console.print(jobs)

    cbs = Table(title="Due callbacks")
    for col in ("id", "number", "status", "due", "attempts", "SLA", "last outcome"):
        cbs.add_column(col)
    for c in st.callbacks:
        cbs.add_row(str(c.id), display(c.number), c.status, _when(c.due, now), c.attempts,
                    "[red]late[/red]" if c.late else "ok", (c.detail or "")[:60])
    console.print(cbs)

    br = Table(title="SLA breaches")
    for col in ("ticket", "priority", "missed", "assignee", "due"):
        br.add_column(col)
    for b in st.breaches:
        br.add_row(b.ticket, b.priority, b.missed, b.assignee, _when(b.due, now))
    console.print(br)


COMMANDS = (dispatch,)
