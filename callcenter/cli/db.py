"""``callcenter db upgrade``, and the first admin account ``callcenter run`` creates."""
from __future__ import annotations

import click

from .. import migrations
from ..access import accounts
from ..db import transaction
from ..wiring import Container


def upgrade(container: Container) -> None:
    migrations.upgrade(container.engine)


def first_admin(container: Container) -> None:
    with transaction(container.session_factory) as session:
        password = accounts.ensure_first_admin(session)
    if password:
        # Printed to the operator's terminal once, never written to a log.
        click.secho("\nFirst admin created.", fg="green", bold=True)
        click.echo(f"  username: admin\n  one-time password: {password}")
        click.echo("  You will be asked to choose a new password at first sign-in.\n")


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(container: Container) -> None:
    """Apply every pending migration."""
    upgrade(container)
    click.echo("database is up to date")


COMMANDS = (db_group,)
