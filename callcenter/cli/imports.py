"""``callcenter import agents FILE.csv [--apply]``: a dry run by default that prints what each line would do.

With ``--apply`` the same plan is carried out in one transaction (refused
while any line has an error), and the new users' one-time passwords are
printed once; they are never logged.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..i18n import Refusal
from ..people import csvfile, imports
from ..wiring import Container
from .actors import cli_actor
from .changes import change, said


@click.group("import")
def import_group() -> None:
    """Bring people in from files."""


def _show(plan: imports.Plan) -> None:
    for line in plan.lines:
        if line.errors:
            why = "; ".join(said(e) for e in line.errors)
        else:
            why = ", ".join(f"{k}: {_text(old)} -> {_text(new)}" for k, (old, new) in line.changes.items())
        click.echo(f"{line.number}\t{line.username}\t{line.action}\t{why}")
    counts = plan.counts()
    click.echo(", ".join(f"{counts[a]} {a}" for a in imports.ACTIONS) + f" (read as {plan.encoding})")


def _text(value: object) -> str:
    return "-" if value in (None, "") else str(value)


@import_group.command("agents")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", "apply_", is_flag=True, help="Carry the plan out (default: only show it).")
@click.option("--encoding", type=click.Choice(csvfile.ENCODINGS), default="auto", show_default=True)
@click.pass_obj
def import_agents(container: Container, file: Path, apply_: bool, encoding: str) -> None:
    """Agents from a CSV file (columns: username, display_name, email, role, team, sip_interface, extension,
    skills, languages, capacity, seniority, queues): the plan of each line, then --apply."""
    with file.open("rb") as fh:
        data = fh.read(csvfile.MAX_BYTES + 1)
    try:
        with container.read_session_factory() as session:  # the dry run only reads
            plan = imports.preview(session, data, encoding)
    except Refusal as exc:
        raise click.ClickException(said(exc)) from None
    _show(plan)
    if not apply_:
        click.echo("dry run: nothing was stored; add --apply to import")
        return
    if not plan.ok:
        raise click.ClickException("Some lines have errors: nothing was imported.")
    with change(container) as session:
        _, passwords = imports.apply(session, plan.text, cli_actor(), container.profiles, plan.digest)
    for username, password in passwords.items():
        click.echo(f"one-time password for {username}: {password}")
    click.echo("imported")


COMMANDS = (import_group,)
