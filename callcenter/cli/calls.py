"""``callcenter calls``: recent call records, or with ``--live`` what every PBX is doing now."""
from __future__ import annotations

import click
from rich.console import Console

from ..ami.view import recent_table, show_live
from ..wiring import Container


@click.command("calls")
@click.option("--live", is_flag=True, help="Follow active calls, queues and agents (Ctrl-C to stop).")
@click.option("--limit", default=20, show_default=True, help="How many recent calls to list.")
@click.option("--seconds", type=float, default=None, hidden=True)
@click.pass_obj
def calls(container: Container, live: bool, limit: int, seconds: float | None) -> None:
    """Recent call records, or with --live what is happening on every PBX now."""
    if live:
        show_live(container.settings, seconds)
    else:
        Console().print(recent_table(container.session_factory, limit))


COMMANDS = (calls,)
