"""``callcenter skill ...`` and ``callcenter wrapup ...``: the centre's codes (audited as ``cli:<OS user>``)."""
from __future__ import annotations

import click

from ..models import WrapupKind
from ..people import skills, wrapup
from ..wiring import Container
from .actors import cli_actor
from .changes import change

KINDS = click.Choice([k.value for k in WrapupKind])


@click.group("skill")
def skill_group() -> None:
    """Skills the dispatcher matches tickets on."""


@skill_group.command("list")
@click.pass_obj
def skill_list(container: Container) -> None:
    """Code, Chinese name, state, description (tab-separated)."""
    with container.read_session_factory() as session:
        for s in skills.listing(session):
            click.echo(f"{s.name}\t{s.name_zh or '-'}\t{'active' if s.is_active else 'retired'}\t{s.description}")


@skill_group.command("add")
@click.argument("code")
@click.option("--name-zh", default="", help="Chinese name.")
@click.option("--description", default="")
@click.pass_obj
def skill_add(container: Container, code: str, name_zh: str, description: str) -> None:
    with change(container) as session:
        skills.create_skill(session, code, cli_actor(), name_zh=name_zh, description=description)
    click.echo(f"skill {code!r} added")


@skill_group.command("edit")
@click.argument("code")
@click.option("--name-zh", default=None, help="Chinese name.")
@click.option("--description", default=None)
@click.pass_obj
def skill_edit(container: Container, code: str, name_zh: str | None, description: str | None) -> None:
    """Change a skill's Chinese name or description (its code never changes)."""
    with change(container) as session:
        skills.edit_skill(session, skills.by_name(session, code).id, cli_actor(), name_zh=name_zh,
                          description=description)
    click.echo(f"skill {code!r} saved")


@skill_group.command("retire")
@click.argument("code")
@click.option("--restore", is_flag=True, help="Offer it again.")
@click.pass_obj
def skill_retire(container: Container, code: str, restore: bool) -> None:
    """Offer a skill to nobody new (agents who have it keep it)."""
    with change(container) as session:
        skills.set_active(session, skills.by_name(session, code).id, restore, cli_actor())
    click.echo(f"skill {code!r} " + ("restored" if restore else "retired"))


@click.group("wrapup")
def wrapup_group() -> None:
    """Wrap-up codes: how a call ended, or why it needed no ticket, in the agents' order."""


@wrapup_group.command("list")
@click.pass_obj
def wrapup_list(container: Container) -> None:
    """Position, code, kind, state, label, Chinese label (tab-separated)."""
    with container.read_session_factory() as session:
        for c in wrapup.listing(session):
            click.echo(f"{c.position + 1}\t{c.code}\t{c.kind.value}\t{'active' if c.is_active else 'retired'}\t"
                       f"{c.label}\t{c.label_zh or '-'}")


@wrapup_group.command("add")
@click.argument("code")
@click.option("--label", required=True)
@click.option("--label-zh", default="", help="Chinese label.")
@click.option("--kind", type=KINDS, default="ticket", show_default=True)
@click.pass_obj
def wrapup_add(container: Container, code: str, label: str, label_zh: str, kind: str) -> None:
    with change(container) as session:
        wrapup.create_code(session, code, label, cli_actor(), label_zh=label_zh, kind=kind)
    click.echo(f"wrap-up code {code!r} added (last)")


@wrapup_group.command("edit")
@click.argument("code")
@click.option("--label", default=None)
@click.option("--label-zh", default=None, help="Chinese label.")
@click.option("--kind", type=KINDS, default=None)
@click.pass_obj
def wrapup_edit(container: Container, code: str, label: str | None, label_zh: str | None, kind: str | None) -> None:
    with change(container) as session:
        wrapup.edit_code(session, wrapup.by_code(session, code).id, cli_actor(), label=label, label_zh=label_zh,
                         kind=kind)
    click.echo(f"wrap-up code {code!r} saved")


@wrapup_group.command("retire")
@click.argument("code")
@click.option("--restore", is_flag=True, help="Put it back on the desk.")
@click.pass_obj
def wrapup_retire(container: Container, code: str, restore: bool) -> None:
    with change(container) as session:
        wrapup.set_active(session, wrapup.by_code(session, code).id, restore, cli_actor())
    click.echo(f"wrap-up code {code!r} " + ("restored" if restore else "retired"))


@wrapup_group.command("move")
@click.argument("code")
@click.argument("position", type=click.IntRange(1, 10000))
@click.pass_obj
def wrapup_move(container: Container, code: str, position: int) -> None:
    """Put CODE at POSITION (1 = first) of the agents' list."""
    with change(container) as session:
        wrapup.place(session, wrapup.by_code(session, code).id, position - 1, cli_actor())
    click.echo(f"wrap-up code {code!r} moved to {position}")


COMMANDS = (skill_group, wrapup_group)
