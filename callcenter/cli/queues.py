"""``callcenter queue list|add|edit|retire|reinstate|sync|monitoring``: the centre's queues.

Each change goes through the queue service (checked, audited as ``cli:<OS user>``,
announced so the AMI service writes Asterisk's queue configuration).
"""
from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from ..callcontrol.errors import CallControlError
from ..callcontrol.monitoring import set_monitoring
from ..db import transaction
from ..i18n import Refusal
from ..models import Queue, Skill, Team
from ..queues import fields, hours, status
from ..wiring import Container
from .actors import cli_actor


@click.group("queue")
def queue_group() -> None:
    """Queues: define, change, retire, find those Asterisk has; privacy of their calls."""


def _settings(f: Any) -> Any:
    """The options ``add`` and ``edit`` share; an option left out is not changed."""
    options = [
        click.option("--name", "display_name", help="Display name (English)."),
        click.option("--name-zh", "display_name_zh", help="Display name (Chinese)."),
        click.option("--language", help="The IVR's prompts for callers of its number (en, zh; '' = none)."),
        click.option("--skill", help="Skill its tickets need ('' = none)."),
        click.option("--team", help="Team that owns it ('' = none)."),
        click.option("--service-level", "service_level_seconds", type=int, help="Answered within this many seconds."),
        click.option("--target", "service_level_target", type=int, help="... for this share of calls (percent)."),
        click.option("--hours", "business_hours", help="mon-fri=09:00-18:00,sat=10:00-14:00 or centre."),
        click.option("--form", "default_form", help="Intake form its calls pop ('' = the category's)."),
        click.option("--recording/--no-recording", default=None, help="Record its calls."),
        click.option("--did", help="Its direct number, past the menu ('' = none)."),
        click.option("--monitoring/--no-monitoring", "monitoring_allowed", default=None,
                     help="Supervisors may listen to its calls."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _changes(given: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in given.items() if v is not None}
    if "business_hours" in changes:
        changes["business_hours"] = hours.parse_text(changes["business_hours"])
    return changes


def _fail(exc: Refusal) -> click.ClickException:
    errors = exc.errors if isinstance(exc, fields.InvalidQueue) else {exc.field or "queue": exc}
    return click.ClickException("; ".join(f"{name}: {err}" for name, err in errors.items()))


@queue_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Retired queues too.")
@click.pass_obj
def queue_list(container: Container, everything: bool) -> None:
    """Every queue: how callers reach it, when it is open, what it records, what it promises."""
    with container.read_session_factory() as session:
        query = (select(Queue, Team.name, Skill.name).outerjoin(Team, Team.id == Queue.team_id)
                 .outerjoin(Skill, Skill.id == Queue.skill_id).order_by(Queue.name))
        rows = session.execute(query if everything else query.where(Queue.is_active)).all()
    click.echo(f"{'NAME':<16} {'DISPLAY':<20} {'DID':<14} {'HOURS':<28} {'REC':<4} {'SL':<9} {'FORM':<10} "
               f"{'TEAM':<14} STATE")
    for q, team, _skill in rows:
        state = ("managed" if q.managed else "queues.conf") + ("" if q.is_active else ", retired")
        click.echo(f"{q.name:<16} {q.display_name[:20]:<20} {q.did or '-':<14} {hours.text(q.business_hours):<28} "
                   f"{'on' if q.recording else 'off':<4} {f'{q.service_level_target}%/{q.service_level_seconds}s':<9} "
                   f"{q.default_form or '-':<10} {team or '-':<14} {state}")
    if not rows:
        click.echo("no queues yet: `callcenter queue sync` finds those Asterisk has, `queue add` defines one")


@queue_group.command("add")
@click.argument("name")
@_settings
@click.pass_obj
def queue_add(container: Container, /, name: str, **given: Any) -> None:
    """Define queue NAME (the Asterisk name: a-z, 0-9, _); Asterisk learns it from the AMI service."""
    try:
        with transaction(container.session_factory) as session:
            container.queues.create(session, cli_actor(), name, **_changes(given))
    except Refusal as exc:
        raise _fail(exc) from None
    click.echo(f"queue {name} added")


@queue_group.command("edit")
@click.argument("name")
@_settings
@click.pass_obj
def queue_edit(container: Container, /, name: str, **given: Any) -> None:
    """Change some of NAME's settings (the options given)."""
    if all(v is None for v in given.values()):
        raise click.UsageError("say what to change (see --help)")
    try:
        changes = _changes(given)
        with transaction(container.session_factory) as session:
            container.queues.edit(session, cli_actor(), name, **changes)
    except Refusal as exc:
        raise _fail(exc) from None
    click.echo(f"queue {name} changed: {', '.join(sorted(changes))}")


@queue_group.command("retire")
@click.argument("name")
@click.pass_obj
def queue_retire(container: Container, name: str) -> None:
    """Route no more callers to NAME; its calls, tickets and figures stay."""
    _in_service(container, name, False)


@queue_group.command("reinstate")
@click.argument("name")
@click.pass_obj
def queue_reinstate(container: Container, name: str) -> None:
    """Put a retired queue back in service."""
    _in_service(container, name, True)


def _in_service(container: Container, name: str, active: bool) -> None:
    try:
        with transaction(container.session_factory) as session:
            (container.queues.reinstate if active else container.queues.retire)(session, cli_actor(), name)
    except Refusal as exc:
        raise _fail(exc) from None
    click.echo(f"queue {name} " + ("in service" if active else "retired"))


@queue_group.command("sync")
@click.pass_obj
def queue_sync(container: Container) -> None:
    """Add a row for every queue the PBXs have (queues.conf) and this system does not know yet."""
    pbxes = [p.name for p in container.settings.pbxes()]
    if not pbxes:
        raise click.ClickException("no PBX is configured ([lab] enabled or [[pbx]])")
    result = status.sync(container.session_factory, container.controls, pbxes, cli_actor())
    for pbx in result.unreachable:
        click.echo(f"{pbx}: unreachable over AMI", err=True)
    click.echo(f"added: {', '.join(result.added)}" if result.added else "every queue is known already")
    if len(result.unreachable) == len(pbxes):
        raise SystemExit(1)


@queue_group.command("monitoring")
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_obj
def monitoring_command(container: Container, name: str, state: str) -> None:
    """Allow (on) or forbid (off) supervisors to listen to, coach and barge into NAME's calls."""
    try:
        with transaction(container.session_factory) as session:
            set_monitoring(session, cli_actor(), name, state == "on")
    except CallControlError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"monitoring of queue {name}: {state}")


COMMANDS = [queue_group]
