"""How many wrong passwords an address may try: counted in the database, so every web process agrees.

Two limits over one window: per address and username (a mistyping agent
waits a little, the rest of the floor behind the same NAT does not), and per
address whatever the username (spraying one password over many accounts).
Two processes checking at the same instant may each let one more attempt in;
the limit is a brake on guessing, not an exact count.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..config import WebSettings
from ..models import SignInFailure

UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class SignInLimits:
    window: dt.timedelta = dt.timedelta(minutes=15)
    per_account: int = 10
    per_address: int = 50

    @classmethod
    def of(cls, web: WebSettings) -> SignInLimits:
        return cls(window=dt.timedelta(minutes=web.sign_in_window_minutes),
                   per_account=web.sign_in_failures_per_account, per_address=web.sign_in_failures_per_address)


def _name(username: str) -> str:
    return username.strip().lower()[:80]


def _address(address: str | None) -> str:
    return (address or UNKNOWN_ADDRESS)[:64]


def refused(session: Session, limits: SignInLimits, address: str | None, username: str, now: dt.datetime) -> bool:
    """True when this address (or this address for this username) has failed too often lately."""
    recent = (select(func.count()).select_from(SignInFailure)
              .where(SignInFailure.address == _address(address), SignInFailure.at >= now - limits.window))
    if (session.scalar(recent) or 0) >= limits.per_address:
        return True
    return (session.scalar(recent.where(SignInFailure.username == _name(username))) or 0) >= limits.per_account


def failed(session: Session, limits: SignInLimits, address: str | None, username: str, now: dt.datetime) -> None:
    """Count one failure, and forget those that have left the window (the table stays small)."""
    session.execute(delete(SignInFailure).where(SignInFailure.at < now - limits.window))
    session.add(SignInFailure(address=_address(address), username=_name(username), at=now))


def succeeded(session: Session, address: str | None, username: str) -> None:
    """A right password clears this account's failures from this address (not the address's others)."""
    session.execute(delete(SignInFailure).where(SignInFailure.address == _address(address),
                                                SignInFailure.username == _name(username)))
