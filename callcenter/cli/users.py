"""``callcenter user ...``: accounts from the command line (audited as ``cli:<OS user>``)."""
from __future__ import annotations

import sys

import click
from sqlalchemy.orm import selectinload

from ..access.accounts import create_user, set_extension
from ..models import Role, User
from ..people import teams, users
from ..wiring import Container
from .actors import cli_actor
from .changes import change

ROLES = click.Choice([r.value for r in Role])


@click.group("user")
def user_group() -> None:
    """User accounts: list, add, edit, (de)activate, reset a password, role, team."""


@user_group.command("list")
@click.option("--search", default="", help="Part of a username, name or e-mail.")
@click.pass_obj
def user_list(container: Container, search: str) -> None:
    """Username, name, role, team, phones, active, last sign-in (tab-separated)."""
    with container.read_session_factory() as session:
        query = users.listing(search[:80]).options(selectinload(User.agent), selectinload(User.team))
        for u in session.scalars(query):
            agent = u.agent
            phones = " ".join(p for p in (agent.sip_interface, agent.extension) if p) if agent else ""
            seen = u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else "never"
            click.echo("\t".join([u.username, u.display_name, u.role.value, u.team.name if u.team else "-",
                                  phones or "-", "active" if u.is_active else "deactivated", seen]))


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=ROLES, required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--email", default=None)
@click.option("--language", type=click.Choice(users.LANGUAGES), default=None, help="Language of the pages.")
@click.option("--team", default=None, help="Team name.")
@click.option("--sip-interface", default=None, help="Agent's Asterisk interface, e.g. PJSIP/agent1001.")
@click.option("--extension", default=None, help="Softphone extension: the browser phone webrtc<extension>.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def user_add(container: Container, username: str, role: str, display_name: str, email: str | None,
             language: str | None, team: str | None, sip_interface: str | None, extension: str | None,
             password_stdin: bool) -> None:
    """Add a user; without --password-stdin a one-time password is printed (once)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with change(container) as session:
        user, generated = create_user(session, username, role, password, display_name=display_name,
                                      sip_interface=sip_interface, extension=extension, actor=cli_actor())
        users.edit_user(session, user.id, cli_actor(), email=email, language=language)
        if team:
            teams.set_team(session, user.id, teams.by_name(session, team).id, cli_actor())
    click.echo(f"user {username!r} added as {role}")
    if generated:
        click.echo(f"one-time password: {generated}")


@user_group.command("edit")
@click.argument("username")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--email", default=None, help='E-mail ("" removes it).')
@click.option("--language", type=click.Choice(["", *users.LANGUAGES]), default=None,
              help='Language of the pages ("": the browser\'s).')
@click.pass_obj
def user_edit(container: Container, username: str, display_name: str | None, email: str | None,
              language: str | None) -> None:
    """Change a user's name, e-mail or language (what is not given stays)."""
    with change(container) as session:
        users.edit_user(session, users.by_username(session, username).id, cli_actor(), display_name=display_name,
                        email=email, language=language)
    click.echo(f"user {username!r} updated")


def _set_active(container: Container, username: str, active: bool) -> None:
    with change(container) as session:
        users.set_active(session, users.by_username(session, username).id, active, cli_actor())
    click.echo(f"user {username!r} " + ("activated" if active else "deactivated: every session ended"))


@user_group.command("deactivate")
@click.argument("username")
@click.pass_obj
def user_deactivate(container: Container, username: str) -> None:
    """Sign the user out everywhere and refuse their sign-in (the last active admin stays)."""
    _set_active(container, username, False)


@user_group.command("activate")
@click.argument("username")
@click.pass_obj
def user_activate(container: Container, username: str) -> None:
    """Let a deactivated user sign in again."""
    _set_active(container, username, True)


@user_group.command("reset-password")
@click.argument("username")
@click.pass_obj
def user_reset_password(container: Container, username: str) -> None:
    """A new one-time password (printed once); every session of the user ends."""
    with change(container) as session:
        password = users.reset_password(session, users.by_username(session, username).id, cli_actor())
    click.echo(f"one-time password for {username!r}: {password}")


@user_group.command("role")
@click.argument("username")
@click.argument("role", type=ROLES)
@click.pass_obj
def user_role(container: Container, username: str, role: str) -> None:
    """Give a user another role (their sessions end; the last active admin stays one)."""
    with change(container) as session:
        users.change_role(session, users.by_username(session, username).id, role, cli_actor())
    click.echo(f"user {username!r} is now {role}")


@user_group.command("team")
@click.argument("username")
@click.argument("team", required=False, default="")
@click.pass_obj
def user_team(container: Container, username: str, team: str) -> None:
    """Put a user in TEAM (leave it out: in no team)."""
    with change(container) as session:
        team_id = teams.by_name(session, team).id if team else None
        teams.set_team(session, users.by_username(session, username).id, team_id, cli_actor())
    click.echo(f"user {username!r}: " + (f"team {team}" if team else "no team"))


@user_group.command("extension")
@click.argument("username")
@click.argument("extension", required=False, default="")
@click.pass_obj
def user_extension(container: Container, username: str, extension: str) -> None:
    """Set a user's softphone extension (leave it out to remove it)."""
    with change(container) as session:
        set_extension(session, users.by_username(session, username).id, extension or None, cli_actor())
    click.echo(f"user {username!r}: " + (f"softphone extension {extension}" if extension else "no softphone"))


COMMANDS = (user_group,)
