"""The ``callcenter`` command: run everything or one service, and every admin task.

Each group of commands lives in its own module here; this is the only
package below the web that builds a ``Container``, so no lower package
imports the wiring.
"""
from __future__ import annotations

import logging
import sys

import click

from ..config import Settings, load_settings
from ..wiring import Container
from . import calls, config, db, dispatch, events, governance, pbx, qa, reports, services, tokens, transcribe, users


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Call-center telephony ticketing: IVR, call records, tickets, dispatch, QA."""
    settings = load_settings()
    _setup_logging(settings)
    ctx.obj = Container(settings)
    ctx.call_on_close(ctx.obj.close)


for _module in (services, db, users, tokens, pbx, calls, config, events, dispatch, transcribe, qa, governance,
                reports):
    for _command in _module.COMMANDS:
        main.add_command(_command)
