"""``callcenter pbx up|down|status``: the lab PBX, a real Asterisk 22 in a chroot on this machine;
``pbx webrtc-conf`` and ``pbx queues-conf``: the softphones' endpoints and the queues defined here,
for an Asterisk of your own."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from ..pbx.lab import LabPBX, LabUnavailable
from ..queues import asterisk
from ..softphone.credentials import NoSoftphone
from ..softphone.endpoints import write_conf
from ..wiring import Container


def lab_up(container: Container, name: str | None = None) -> None:
    """Every lab Asterisk ([lab] instances after the first), or the one named."""
    if not container.settings.lab.enabled:
        click.echo("lab PBX disabled; following the configured Asterisk server(s)")
        return
    conf = _queues_conf(container)
    try:
        for lab in _labs(container, name):
            lab.up(progress=lambda m: click.echo(f"[pbx] {m}"), queues_conf=conf)
    except LabUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def _labs(container: Container, name: str | None) -> list[LabPBX]:
    names = ["lab", *container.settings.lab.instances] if name is None else [name]
    try:
        return [LabPBX(container.settings, n) for n in names]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _queues_conf(container: Container) -> str | None:
    """The queues defined here, for the lab; None before the database exists (the AMI service writes it later)."""
    try:
        with container.read_session_factory() as session:
            return asterisk.render_from(session)
    except SQLAlchemyError:
        return None


@click.group("pbx")
def pbx_group() -> None:
    """The lab PBX: a real Asterisk 22 in a chroot on this machine."""


NAME = click.option("--name", default=None, help="One lab Asterisk: lab, or one of [lab] instances (default: all).")


@pbx_group.command("up")
@NAME
@click.pass_obj
def pbx_up(container: Container, name: str | None) -> None:
    """Provision once, refresh config from asterisk-conf/, start, wait for FullyBooted."""
    lab_up(container, name)
    click.echo("lab PBX is up")


@pbx_group.command("down")
@NAME
@click.pass_obj
def pbx_down(container: Container, name: str | None) -> None:
    """Stop the lab PBX."""
    for lab in _labs(container, name):
        lab.down()
    click.echo("lab PBX is down")


@pbx_group.command("status")
@NAME
@click.pass_obj
def pbx_status(container: Container, name: str | None) -> None:
    """Show whether the lab PBX is provisioned and running."""
    for lab in _labs(container, name):
        for key, value in lab.status().items():
            click.echo(f"{key:>12}: {value}")


@pbx_group.command("webrtc-conf")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write pjsip_webrtc.conf (mode 0600: it holds the SIP passwords).")
@click.pass_obj
def pbx_webrtc_conf(container: Container, output: Path) -> None:
    """The browser softphones' endpoints for your own Asterisk (pjsip.conf includes pjsip_webrtc.conf)."""
    try:
        with container.read_session_factory() as session:
            count = write_conf(container.settings, session, output)
    except NoSoftphone as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {output} ({count} endpoints)")


@pbx_group.command("queues-conf")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write queues_callcenter.conf (queues.conf includes it).")
@click.pass_obj
def pbx_queues_conf(container: Container, output: Path) -> None:
    """The queues defined in callcenter, for your own Asterisk; then `asterisk -rx "module reload app_queue.so"`."""
    with container.read_session_factory() as session:
        queues = asterisk.managed_queues(session)
        text = asterisk.render(queues)
    changed = asterisk.write(output, text)
    click.echo(f"{'wrote' if changed else 'up to date:'} {output} ({len(queues)} queues)")
    if changed:
        click.echo('reload it: asterisk -rx "module reload app_queue.so" (dynamic members stay)')


COMMANDS = (pbx_group,)
