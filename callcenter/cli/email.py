"""``callcenter email check``: can the e-mail channel reach its mailbox and its SMTP server?"""
from __future__ import annotations

import click

from ..wiring import Container


@click.group("email")
def email_group() -> None:
    """The e-mail channel (one support mailbox read by IMAP, answered by SMTP)."""


@email_group.command("check")
@click.pass_obj
def check(container: Container) -> None:
    """Log in to IMAP and SMTP as configured and say OK or why not (passwords are never shown)."""
    from ..channels.email.check import check_imap, check_smtp

    cfg = container.settings.channels.email
    if not cfg.enabled:
        click.echo("The e-mail channel is off ([channels.email] enabled = false); checking its settings anyway.")
    failed = False
    for name, where, problem in (
            ("IMAP", f"{cfg.imap_host}:{cfg.imap_port} mailbox {cfg.mailbox}", check_imap(cfg)),
            ("SMTP", f"{cfg.smtp_host}:{cfg.smtp_port}", check_smtp(cfg))):
        if problem is None:
            click.echo(f"{name} {where}: OK")
        else:
            failed = True
            click.echo(f"{name} {where}: FAILED: {problem}")
    if failed:
        raise SystemExit(1)


COMMANDS = (email_group,)
