"""One admin change from the command line: a transaction, and a refusal said as the command's error."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from ..db import transaction
from ..i18n import Refusal
from ..wiring import Container


def said(exc: Refusal) -> str:
    """The refusal in English, every wrong field of it (a profile may have several)."""
    errors = getattr(exc, "errors", None)
    if errors:
        return "; ".join(str(e) for e in errors.values())
    return str(exc)


@contextmanager
def change(container: Container) -> Iterator[Session]:
    """Commit what the block changes; a refusal rolls it all back and ends the command with its reason."""
    try:
        with transaction(container.session_factory) as session:
            yield session
    except Refusal as exc:
        raise click.ClickException(said(exc)) from None
