"""The `callcenter` command: run everything, one service, or admin tasks."""
from __future__ import annotations

import json
import logging
import sys

import click

from .config import Settings, load_settings
from .wiring import SERVICE_NAMES, Container, build

log = logging.getLogger("callcenter")


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Call-center telephony ticketing: IVR, call records, tickets, dispatch, QA."""
    settings = load_settings()
    _setup_logging(settings)
    ctx.obj = build(settings)
    ctx.call_on_close(ctx.obj.close)


def _upgrade(container: Container) -> None:
    from . import migrate

    migrate.upgrade(container.engine)


def _first_admin(container: Container) -> None:
    from . import accounts
    from .db import transaction

    with transaction(container.session_factory) as session:
        password = accounts.ensure_first_admin(session)
    if password:
        # Printed to the operator's terminal once, never written to a log.
        click.secho("\nFirst admin created.", fg="green", bold=True)
        click.echo(f"  username: admin\n  one-time password: {password}")
        click.echo("  You will be asked to choose a new password at first sign-in.\n")


def _pbx_up(container: Container) -> None:
    from .lab import LabPBX, LabUnavailable

    if not container.settings.lab.enabled:
        click.echo("lab PBX disabled; following the configured Asterisk server(s)")
        return
    try:
        LabPBX(container.settings).up(progress=lambda m: click.echo(f"[pbx] {m}"))
    except LabUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def _serve(container: Container, names: tuple[str, ...]) -> None:
    from .services import run_forever

    services = container.services(names)
    for svc in services:
        if svc.name == "web":
            click.secho(f"Web UI: http://{container.settings.web.host}:{container.settings.web.port}",
                        fg="cyan", bold=True)
    sys.exit(run_forever(services))


@main.command()
@click.option("--no-pbx", is_flag=True, help="Do not start the lab PBX.")
@click.pass_obj
def run(container: Container, no_pbx: bool) -> None:
    """Everything in one process: web, AMI bridge, FastAGI, dispatcher, transcriber, QA tagger."""
    if not no_pbx:
        _pbx_up(container)
    _upgrade(container)
    _first_admin(container)
    _serve(container, SERVICE_NAMES)


def _single(name: str) -> click.Command:
    @click.pass_obj
    def command(container: Container) -> None:
        _serve(container, (name,))

    command.__doc__ = f"Run only the {name} service (many processes, one PostgreSQL)."
    return click.command(name)(command)


for _name in SERVICE_NAMES:
    main.add_command(_single(_name))


def _add_dispatch_group() -> None:
    from .dispatch.cli import dispatch

    main.add_command(dispatch)


_add_dispatch_group()


def _add_transcribe_commands() -> None:
    from .transcribe.cli import qa, transcribe

    main.add_command(transcribe)
    main.add_command(qa)


_add_transcribe_commands()


def _add_governance_commands() -> None:
    from .governance_cli import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_add_governance_commands()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(container: Container) -> None:
    """Apply every pending migration."""
    _upgrade(container)
    click.echo("database is up to date")


@main.group()
def user() -> None:
    """User accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["agent", "supervisor", "qa", "admin"]), required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--sip-interface", default=None, help="Agent's Asterisk interface, e.g. PJSIP/agent1001.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def user_add(container: Container, username: str, role: str, display_name: str,
             sip_interface: str | None, password_stdin: bool) -> None:
    """Add a user; without --password-stdin a one-time password is printed."""
    from .accounts import AccountError, create_user
    from .db import transaction

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with transaction(container.session_factory) as session:
            _, generated = create_user(session, username, role, password,
                                       display_name=display_name, sip_interface=sip_interface)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username!r} added as {role}")
    if generated:
        click.echo(f"one-time password: {generated}")


@main.group()
def pbx() -> None:
    """The lab PBX: a real Asterisk 22 in a chroot on this machine."""


@pbx.command("up")
@click.pass_obj
def pbx_up(container: Container) -> None:
    """Provision once, refresh config from asterisk-conf/, start, wait for FullyBooted."""
    _pbx_up(container)
    click.echo("lab PBX is up")


@pbx.command("down")
@click.pass_obj
def pbx_down(container: Container) -> None:
    """Stop the lab PBX."""
    from .lab import LabPBX

    LabPBX(container.settings).down()
    click.echo("lab PBX is down")


@pbx.command("status")
@click.pass_obj
def pbx_status(container: Container) -> None:
    """Show whether the lab PBX is provisioned and running."""
    from .lab import LabPBX

    for key, value in LabPBX(container.settings).status().items():
        click.echo(f"{key:>12}: {value}")


@main.command("calls")
@click.option("--live", is_flag=True, help="Follow active calls, queues and agents (Ctrl-C to stop).")
@click.option("--limit", default=20, show_default=True, help="How many recent calls to list.")
@click.option("--seconds", type=float, default=None, hidden=True)
@click.pass_obj
def calls(container: Container, live: bool, limit: int, seconds: float | None) -> None:
    """Recent call records, or with --live what is happening on every PBX now."""
    from rich.console import Console

    from .ami.view import recent_table, show_live

    if live:
        show_live(container, seconds)
    else:
        Console().print(recent_table(container, limit))


@main.command("config")
@click.pass_obj
def show_config(container: Container) -> None:
    """Print the effective settings (secrets hidden)."""
    click.echo(json.dumps(container.settings.redacted(), indent=2))
