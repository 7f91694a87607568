"""``callcenter pbx up|down|status``: the lab PBX, a real Asterisk 22 in a chroot on this machine."""
from __future__ import annotations

import click

from ..pbx.lab import LabPBX, LabUnavailable
from ..wiring import Container


def lab_up(container: Container) -> None:
    if not container.settings.lab.enabled:
        click.echo("lab PBX disabled; following the configured Asterisk server(s)")
        return
    try:
        LabPBX(container.settings).up(progress=lambda m: click.echo(f"[pbx] {m}"))
    except LabUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("pbx")
def pbx_group() -> None:
    """The lab PBX: a real Asterisk 22 in a chroot on this machine."""


@pbx_group.command("up")
@click.pass_obj
def pbx_up(container: Container) -> None:
    """Provision once, refresh config from asterisk-conf/, start, wait for FullyBooted."""
    lab_up(container)
    click.echo("lab PBX is up")


@pbx_group.command("down")
@click.pass_obj
def pbx_down(container: Container) -> None:
    """Stop the lab PBX."""
    LabPBX(container.settings).down()
    click.echo("lab PBX is down")


@pbx_group.command("status")
@click.pass_obj
def pbx_status(container: Container) -> None:
    """Show whether the lab PBX is provisioned and running."""
    for key, value in LabPBX(container.settings).status().items():
        click.echo(f"{key:>12}: {value}")


COMMANDS = (pbx_group,)
