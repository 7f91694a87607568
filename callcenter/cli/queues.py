"""``callcenter queue monitoring NAME on|off``: whether supervisors may listen to a queue's calls."""
from __future__ import annotations

import click

from ..callcontrol.errors import CallControlError
from ..callcontrol.monitoring import set_monitoring
from ..db import transaction
from ..wiring import Container
from .actors import cli_actor


@click.group("queue")
def queue_group() -> None:
    """Queues: privacy of their calls."""


@queue_group.command("monitoring")
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_obj
def monitoring_command(container: Container, name: str, state: str) -> None:
    """Allow (on) or forbid (off) supervisors to listen to, coach and barge into NAME's calls."""
    try:
        with transaction(container.session_factory) as session:
            set_monitoring(session, cli_actor(), name, state == "on")
    except CallControlError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"monitoring of queue {name}: {state}")


COMMANDS = [queue_group]
