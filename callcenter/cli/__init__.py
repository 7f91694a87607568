"""The ``callcenter`` command: run everything or one service, and every admin task.

Each group of commands lives in its own module here; this is the only
package below the web that builds a ``Container``, so no lower package
imports the wiring.
"""
from __future__ import annotations

import logging
import sys

import click
import psycopg
from sqlalchemy.exc import SQLAlchemyError

from ..config import Settings, hide_passwords, load_settings
from ..wiring import Container
from . import (
    agents,
    calls,
    codes,
    config,
    crm,
    db,
    dispatch,
    email,
    events,
    governance,
    imports,
    knowledge,
    pbx,
    qa,
    queues,
    reports,
    services,
    teams,
    tokens,
    transcribe,
    users,
)


class HidingFormatter(logging.Formatter):
    """Every log line (and traceback) leaves with URL passwords and this installation's secrets hidden."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return hide_passwords(super().format(record), self.secrets)


def _setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(HidingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                         settings.secret_values()))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)


class _Main(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (SQLAlchemyError, psycopg.Error) as exc:
            # The database refused or is unreachable: say so, never with its URL's password.
            secrets = ctx.obj.settings.secret_values() if isinstance(ctx.obj, Container) else []
            raise click.ClickException(hide_passwords(f"database error: {exc}", secrets)) from None


@click.group(cls=_Main)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Call-center telephony ticketing: IVR, call records, tickets, dispatch, QA."""
    settings = load_settings()
    _setup_logging(settings)
    ctx.obj = Container(settings)
    ctx.call_on_close(ctx.obj.close)


for _module in (services, db, users, tokens, pbx, calls, config, events, dispatch, transcribe, qa, governance,
                reports, queues, teams, agents, codes, imports, email, knowledge, crm):
    for _command in _module.COMMANDS:
        main.add_command(_command)
