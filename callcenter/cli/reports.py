"""``callcenter report daily``: a day's summary on the terminal, optionally e-mailed."""
from __future__ import annotations

import click

from .. import days
from ..models import utcnow
from ..reporting import daily as summary
from ..reporting import mail
from ..wiring import Container
from .actors import cli_actor


@click.group("report")
def report_group() -> None:
    """Reports from the command line."""


@report_group.command("daily")
@click.option("--date", "day", default=None, metavar="YYYY-MM-DD", help="The day (default: yesterday).")
@click.option("--send", is_flag=True, help="Also e-mail it to the [summary] recipients.")
@click.option("--language", type=click.Choice(summary.LANGUAGES), default=None,
              help="Language of the printed summary (default: [summary] language).")
@click.pass_obj
def daily(container: Container, day: str | None, send: bool, language: str | None) -> None:
    """Print one day's summary for the centre and each queue; optionally e-mail it."""
    settings = container.settings
    zone = mail.zone(settings)
    date = days.parse(day) if day else summary.yesterday(utcnow(), zone)
    if date is None:
        raise click.BadParameter(f"{day!r} is not a date like 2026-11-28", param_hint="--date")
    with container.session_factory() as session:
        built = summary.build(session, date, zone)
    click.echo(summary.render_text(built, language or settings.summary.language), nl=False)
    if send:
        try:
            sent = mail.send_now(container.session_factory, settings, date, cli_actor())
        except mail.SummaryError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"sent to {', '.join(sent.recipients)}", err=True)


COMMANDS = (report_group,)
