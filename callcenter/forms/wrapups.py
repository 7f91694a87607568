"""The centre's wrap-up codes (one list, edited by admins): those an intake form offers, those that
say why a call needs no ticket, and the check of a code an agent sent.  Stored answers keep the code."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import WrapupCode, WrapupKind

# How a call that made (or updated) a ticket ended ...
TICKET_KINDS = (WrapupKind.TICKET, WrapupKind.BOTH)
# ... and why a call needed none.
NO_TICKET_KINDS = (WrapupKind.NO_TICKET, WrapupKind.BOTH)


def offered(session: Session, kinds: Sequence[WrapupKind]) -> list[WrapupCode]:
    """The active codes of these kinds, in the admin's order."""
    return list(session.scalars(select(WrapupCode).where(WrapupCode.is_active, WrapupCode.kind.in_(kinds))
                                .order_by(WrapupCode.position, WrapupCode.code)))


def find(session: Session, code: str | None, kinds: Sequence[WrapupKind]) -> WrapupCode | None:
    """The active code of one of these kinds, or None (also for input that cannot be a code)."""
    if not code or len(code) > 40:
        return None
    return session.scalar(select(WrapupCode).where(WrapupCode.code == code, WrapupCode.is_active,
                                                   WrapupCode.kind.in_(kinds)))

