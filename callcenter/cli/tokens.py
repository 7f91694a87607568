"""``callcenter token create|list|revoke``: API tokens from the command line (audited as ``cli:<OS user>``).

The secret is printed once, by ``create``; ``list`` shows only its first characters.
"""
from __future__ import annotations

import click
from sqlalchemy import select

from ..access import scopes as scope_rules
from ..access import tokens
from ..db import transaction
from ..models import User
from ..wiring import Container
from .actors import cli_actor


@click.group("token")
def token_group() -> None:
    """API tokens: scopes, expiry, revocation."""


@token_group.command("create")
@click.argument("username")
@click.option("--scopes", default="read", show_default=True,
              help=f"read, write, all, or a list of: {' '.join(scope_rules.ALL)}")
@click.option("--expires-days", type=int, default=90, show_default=True, help="0: never expires.")
@click.option("--name", default="", help="What the token is for, e.g. CRM.")
@click.pass_obj
def token_create(container: Container, username: str, scopes: str, expires_days: int, name: str) -> None:
    """Mint a token for USERNAME and print it (the only time it is shown)."""
    try:
        with transaction(container.session_factory) as session:
            owner = session.scalar(select(User).where(User.username == username))
            if owner is None:
                raise click.ClickException(f"no user {username!r}")
            row, secret = tokens.mint(session, owner, cli_actor(), scopes=scopes,
                                      expires_at=tokens.expiry(expires_days), name=name)
            summary = (row.id, scope_rules.describe(row.scopes), row.expires_at)
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    token_id, granted, expires = summary
    click.echo(f"token {token_id} for {username!r}: scopes {granted}; "
               f"expires {expires.isoformat(timespec='minutes') if expires else 'never'}")
    click.echo(secret)


@token_group.command("list")
@click.argument("username", required=False)
@click.pass_obj
def token_list(container: Container, username: str | None) -> None:
    """Tokens (of USERNAME, or everyone's): id, owner, prefix, scopes, expiry, state. Never the secret."""
    with transaction(container.session_factory) as session:
        user_id = None
        if username:
            user_id = session.scalar(select(User.id).where(User.username == username))
            if user_id is None:
                raise click.ClickException(f"no user {username!r}")
        for row in tokens.listed(session, user_id):
            expires = row.expires_at.isoformat(timespec="minutes") if row.expires_at else "never"
            click.echo(f"{row.id}\t{row.user.username}\t{row.prefix}…\t{scope_rules.describe(row.scopes)}\t"
                       f"{expires}\t{tokens.state(row)}\t{row.name}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def token_revoke(container: Container, token_id: int) -> None:
    """Revoke token TOKEN_ID at once: its next request is refused."""
    try:
        with transaction(container.session_factory) as session:
            tokens.revoke(session, token_id, cli_actor())
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"token {token_id} revoked")


COMMANDS = (token_group,)
