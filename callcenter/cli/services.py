"""``callcenter run`` (everything in one process) and ``callcenter web|ami|agi|...|knowledge`` (one service each;
``knowledge`` is also a command group, which runs the service when given no command)."""
from __future__ import annotations

import sys

import click

from ..runner import Service, run_forever
from ..wiring import BACKEND_SERVICES, Container
from .db import first_admin, upgrade
from .pbx import lab_up

SERVICE_NAMES = ("web", *BACKEND_SERVICES)


def build(container: Container, name: str) -> Service:
    if name == "web":
        from web.server import web_service

        return web_service(container)
    return container.service(name)


def serve(container: Container, names: tuple[str, ...]) -> None:
    services = [build(container, name) for name in names]
    if "web" in names:
        click.secho(f"Web UI: http://{container.settings.web.host}:{container.settings.web.port}",
                    fg="cyan", bold=True)
    sys.exit(run_forever(services))


@click.command()
@click.option("--no-pbx", is_flag=True, help="Do not start the lab PBX.")
@click.pass_obj
def run(container: Container, no_pbx: bool) -> None:
    """Everything in one process: web, AMI bridge, FastAGI, dispatcher, transcriber, QA tagger, background worker,
    channels, knowledge, webhook sender and automation."""
    if not no_pbx:
        lab_up(container)
    upgrade(container)
    first_admin(container)
    serve(container, SERVICE_NAMES)


def _single(name: str) -> click.Command:
    @click.pass_obj
    def command(container: Container) -> None:
        serve(container, (name,))

    command.__doc__ = f"Run only the {name} service (many processes, one PostgreSQL)."
    return click.command(name)(command)


# A service whose name is also a command group runs the service itself when no command follows
# (cli/knowledge.py): a second command of the same name would replace the group, or the group this command.
GROUPS = ("knowledge",)
COMMANDS = (run, *(_single(name) for name in SERVICE_NAMES if name not in GROUPS))
