"""``callcenter retention purge`` and ``callcenter customer erase``: data governance by hand.

Audit rows name the actor as ``cli:<OS user>``.  Progress goes to standard
error, so what a command prints on standard output can be piped.
"""
from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ..customers import lookup
from ..governance import purge, retention
from ..wiring import Container
from .actors import cli_actor


def _removed_table(title: str, rows: dict[str, purge.Removed]) -> Table:
    table = Table(title=title)
    for column in ("queue", "recordings", "files", "transcripts", "calls", "messages"):
        table.add_column(column, justify="left" if column == "queue" else "right")
    for name, r in rows.items():
        table.add_row(name or "(no queue)", str(r.recordings), str(r.files), str(r.transcripts), str(r.calls),
                      str(r.messages))
    return table


@click.group("retention")
def retention_group() -> None:
    """Retention policies per queue ([retention] in the settings)."""


@retention_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Only show what would be removed now.")
@click.pass_obj
def purge_command(container: Container, dry_run: bool) -> None:
    """Remove recordings, transcripts, call records and finished tickets' messages older than their queue's policy."""
    settings, err = container.settings, Console(stderr=True)
    with container.session_factory() as session:
        total = len(purge.queue_names(session, settings.retention))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("purging" if not dry_run else "checking", total=total)
        done = retention.run_purge(container.session_factory, settings, key=None, actor=cli_actor(),
                                   dry_run=dry_run, progress=lambda name, _: bar.advance(task))
    if done is None:
        raise click.ClickException("this purge run was already recorded; run it again")
    verb = "would be removed" if dry_run else "removed"
    if not done.queues:
        click.echo(f"nothing {verb}: no data is older than its retention policy")
        return
    Console().print(_removed_table(f"{verb} (dry run, nothing changed)" if dry_run else verb,
                                   {**done.queues, "total": done.total}))


@click.group("customer")
def customer_group() -> None:
    """Customers: erasure on request."""


@customer_group.command("erase")
@click.argument("customer_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Only show what would be removed.")
@click.option("--reason", default="erasure request (command line)", show_default=True,
              help="Why, for the audit log (e.g. the request's reference).")
@click.pass_obj
def erase(container: Container, customer_id: int, yes: bool, dry_run: bool, reason: str) -> None:
    """Erase one customer: recordings, transcripts and personal fields gone, statistics kept."""
    with container.session_factory() as session:
        found = lookup.get(session, customer_id)
    if found is None:
        raise click.ClickException(f"no customer with id {customer_id}")
    preview = container.erasure.preview(customer_id)
    state = " (already erased)" if found.erased else ""
    click.echo(f"customer {found.id}: {found.name} {' '.join(found.numbers)}{state}")
    click.echo(f"  calls anonymised: {preview.calls}\n  recordings removed: {preview.recordings} "
               f"({preview.files} files)\n  transcripts removed: {preview.transcripts}\n"
               f"  tickets blanked: {preview.tickets}")
    if dry_run:
        click.echo("dry run: nothing changed")
        return
    if not yes:
        click.confirm(f"Erase customer {customer_id}? This cannot be undone", abort=True)
    done = container.erasure.erase(customer_id, reason=reason[:200], actor=cli_actor())
    click.echo(f"customer {customer_id} erased: {done.recordings} recordings, {done.transcripts} transcripts, "
               f"{done.calls} calls anonymised, {done.tickets} tickets blanked")


COMMANDS = (retention_group, customer_group)
