"""``callcenter config``: the effective settings, secrets hidden."""
from __future__ import annotations

import json

import click

from ..wiring import Container


@click.command("config")
@click.pass_obj
def show_config(container: Container) -> None:
    """Print the effective settings (secrets hidden)."""
    click.echo(json.dumps(container.settings.redacted(), indent=2))


COMMANDS = (show_config,)
