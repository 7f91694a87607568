"""``callcenter agent set|show USER``: an agent's profile from the command line (audited as ``cli:<OS user>``).

A signed-in agent's new queues reach Asterisk through the AMI bridge
(``callcenter ami`` or ``run``), as when an admin changes them in the pages.
"""
from __future__ import annotations

import click

from ..people import users
from ..people.profile_values import ProfileChange, parse_queues, parse_skills, snapshot
from ..wiring import Container
from .actors import cli_actor
from .changes import change


@click.group("agent")
def agent_group() -> None:
    """Agent profiles: phones, skills, languages, capacity, seniority, queues."""


@agent_group.command("show")
@click.argument("username")
@click.pass_obj
def agent_show(container: Container, username: str) -> None:
    with change(container) as session:
        values = snapshot(users.by_username(session, username).agent)
    for name, value in values.items():
        click.echo(f"{name}: {'-' if value in (None, '') else value}")


@agent_group.command("set")
@click.argument("username")
@click.option("--sip-interface", default=None, help='Desk phone, e.g. PJSIP/agent1001 ("" removes it).')
@click.option("--extension", default=None, help='Softphone extension ("" removes it).')
@click.option("--skill", "skills", multiple=True, help="code:level (1-5), repeatable; replaces the skills.")
@click.option("--language", "languages", multiple=True, help="en or zh, repeatable; replaces the languages.")
@click.option("--capacity", type=int, default=None, help="Open tickets at once (0-500).")
@click.option("--seniority", type=int, default=None, help="1 (junior) to 5 (senior).")
@click.option("--queue", "queues", multiple=True, help="name[:penalty], repeatable; replaces the queues.")
@click.option("--no-skills", is_flag=True, help="Take every skill away.")
@click.option("--no-languages", is_flag=True, help="Take every language away.")
@click.option("--no-queues", is_flag=True, help="Take every queue away.")
@click.pass_obj
def agent_set(container: Container, username: str, sip_interface: str | None, extension: str | None,
              skills: tuple[str, ...], languages: tuple[str, ...], capacity: int | None, seniority: int | None,
              queues: tuple[str, ...], no_skills: bool, no_languages: bool, no_queues: bool) -> None:
    """Change what is given of USERNAME's agent profile; what is not given stays."""
    with change(container) as session:
        profile = ProfileChange(
            sip_interface=sip_interface, extension=extension, capacity=capacity, seniority=seniority,
            skills={} if no_skills else parse_skills(";".join(skills)) if skills else None,
            languages=[] if no_languages else [x.lower() for x in languages] if languages else None,
            queues={} if no_queues else parse_queues(";".join(queues)) if queues else None)
        changed = container.profiles.update(session, users.by_username(session, username).id, profile,
                                            cli_actor())
    for name, values in changed.items():
        click.echo(f"{name}: {values['old'] or '-'} -> {values['new'] or '-'}")
    if not changed:
        click.echo("nothing changed")


COMMANDS = (agent_group,)
