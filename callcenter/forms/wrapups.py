"""The check of a wrap-up code an agent sent with a form or a "no ticket needed" (the list itself, and
what the desk offers, is ``callcenter.people.wrapup.listing``).  Stored answers keep the code."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import WrapupCode, WrapupKind

# How a call that made (or updated) a ticket ended ...
TICKET_KINDS = (WrapupKind.TICKET, WrapupKind.BOTH)
# ... and why a call needed none.
NO_TICKET_KINDS = (WrapupKind.NO_TICKET, WrapupKind.BOTH)


def find(session: Session, code: str | None, kinds: Sequence[WrapupKind]) -> WrapupCode | None:
    """The active code of one of these kinds, or None (also for input that cannot be a code)."""
    if not code or len(code) > 40:
        return None
    return session.scalar(select(WrapupCode).where(WrapupCode.code == code, WrapupCode.is_active,
                                                   WrapupCode.kind.in_(kinds)))

