"""``callcenter team ...``: teams, their lead supervisor and members (audited as ``cli:<OS user>``)."""
from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Team, User
from ..people import teams, users
from ..wiring import Container
from .actors import cli_actor
from .changes import change


@click.group("team")
def team_group() -> None:
    """Teams: a supervisor sees the tickets and calls of the teams they lead or belong to."""


@team_group.command("list")
@click.pass_obj
def team_list(container: Container) -> None:
    """Each team: name, lead, members (tab-separated)."""
    with container.read_session_factory() as session:
        for team in session.scalars(select(Team).order_by(Team.name)):
            lead = session.get(User, team.supervisor_id) if team.supervisor_id else None
            names = ",".join(u.username for u in teams.members(session, team.id))
            click.echo(f"{team.name}\t{lead.username if lead else '-'}\t{names or '-'}")


def _lead_id(session: Session, username: str | None) -> int | None:
    return users.by_username(session, username).id if username else None


@team_group.command("add")
@click.argument("name")
@click.option("--lead", default=None, help="Username of the lead supervisor.")
@click.pass_obj
def team_add(container: Container, name: str, lead: str | None) -> None:
    """Make a team."""
    with change(container) as session:
        team = teams.create_team(session, name, cli_actor(), _lead_id(session, lead))
        made = team.name
    click.echo(f"team {made!r} made")


@team_group.command("rename")
@click.argument("team")
@click.argument("name")
@click.pass_obj
def team_rename(container: Container, team: str, name: str) -> None:
    with change(container) as session:
        teams.rename_team(session, teams.by_name(session, team).id, name, cli_actor())
    click.echo(f"team {team!r} is now {name!r}")


@team_group.command("lead")
@click.argument("team")
@click.argument("username", required=False, default="")
@click.pass_obj
def team_lead(container: Container, team: str, username: str) -> None:
    """Set TEAM's lead supervisor (leave USERNAME out: no lead)."""
    with change(container) as session:
        teams.set_lead(session, teams.by_name(session, team).id, _lead_id(session, username), cli_actor())
    click.echo(f"team {team!r}: " + (f"led by {username}" if username else "no lead"))


@team_group.command("join")
@click.argument("team")
@click.argument("usernames", nargs=-1, required=True)
@click.pass_obj
def team_join(container: Container, team: str, usernames: tuple[str, ...]) -> None:
    """Put users in TEAM (they leave the team they were in)."""
    with change(container) as session:
        team_id = teams.by_name(session, team).id
        for name in usernames:
            teams.set_team(session, users.by_username(session, name).id, team_id, cli_actor())
    click.echo(f"team {team!r}: {', '.join(usernames)} joined")


@team_group.command("leave")
@click.argument("team")
@click.argument("usernames", nargs=-1, required=True)
@click.pass_obj
def team_leave(container: Container, team: str, usernames: tuple[str, ...]) -> None:
    """Take users out of TEAM."""
    with change(container) as session:
        team_id = teams.by_name(session, team).id
        for name in usernames:
            teams.remove_member(session, team_id, users.by_username(session, name).id, cli_actor())
    click.echo(f"team {team!r}: {', '.join(usernames)} left")


@team_group.command("delete")
@click.argument("team")
@click.pass_obj
def team_delete(container: Container, team: str) -> None:
    """Delete an empty team (no members, no queues)."""
    with change(container) as session:
        teams.delete_team(session, teams.by_name(session, team).id, cli_actor())
    click.echo(f"team {team!r} deleted")


COMMANDS = (team_group,)
