"""``callcenter user add``: accounts from the command line (audited as ``cli:<OS user>``)."""
from __future__ import annotations

import sys

import click
from sqlalchemy import select

from ..access.accounts import AccountError, create_user, set_extension
from ..db import transaction
from ..models import User
from ..wiring import Container
from .actors import cli_actor


@click.group("user")
def user_group() -> None:
    """User accounts."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["agent", "supervisor", "qa", "admin"]), required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--sip-interface", default=None, help="Agent's Asterisk interface, e.g. PJSIP/agent1001.")
@click.option("--extension", default=None, help="Softphone extension: the browser phone webrtc<extension>.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def user_add(container: Container, username: str, role: str, display_name: str,
             sip_interface: str | None, extension: str | None, password_stdin: bool) -> None:
    """Add a user; without --password-stdin a one-time password is printed."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with transaction(container.session_factory) as session:
            _, generated = create_user(session, username, role, password, display_name=display_name,
                                       sip_interface=sip_interface, extension=extension,
                                       actor=cli_actor())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username!r} added as {role}")
    if generated:
        click.echo(f"one-time password: {generated}")


@user_group.command("extension")
@click.argument("username")
@click.argument("extension", required=False, default="")
@click.pass_obj
def user_extension(container: Container, username: str, extension: str) -> None:
    """Set a user's softphone extension (leave it out to remove it)."""
    try:
        with transaction(container.session_factory) as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise AccountError(f"no user {username!r}")
            set_extension(session, user.id, extension or None, cli_actor())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username!r}: " + (f"softphone extension {extension}" if extension else "no softphone"))


COMMANDS = (user_group,)
