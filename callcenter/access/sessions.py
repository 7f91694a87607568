"""Web sessions that can be ended: a per-user generation, an idle timeout and a lifetime.

The browser's signed cookie carries a stamp (generation, started, seen). A
session is honoured only while its generation is the user's current one, so
bumping ``User.session_generation`` (sign-out, password change, deactivation,
role change) ends every copy of every cookie at once, server-side.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import WebSettings
from ..models import User

# Why a session was refused; the web layer words each for the user.
ENDED = "ended"
IDLE = "idle"
EXPIRED = "expired"

# "seen" is rewritten at most this often: the cookie need not change on every request.
TOUCH_SECONDS = 30


@dataclass(frozen=True)
class SessionPolicy:
    idle: dt.timedelta
    lifetime: dt.timedelta

    @classmethod
    def of(cls, web: WebSettings) -> SessionPolicy:
        return cls(idle=dt.timedelta(minutes=web.session_idle_minutes),
                   lifetime=dt.timedelta(hours=web.session_lifetime_hours))


def stamp(user: User, now: dt.datetime) -> dict[str, int]:
    """What a new session stores about itself."""
    t = int(now.timestamp())
    return {"generation": user.session_generation, "started": t, "seen": t}


def refusal(stored: Mapping[str, Any] | None, user: User, now: dt.datetime, policy: SessionPolicy) -> str | None:
    """Why this session may no longer act for ``user`` (ENDED, EXPIRED, IDLE), or None while it may."""
    if not isinstance(stored, Mapping) or not all(isinstance(stored.get(k), int)
                                                  for k in ("generation", "started", "seen")):
        return ENDED  # signed in before sessions were stamped, or tampered with
    if not user.is_active or stored["generation"] != user.session_generation:
        return ENDED
    t = now.timestamp()
    if t - stored["started"] > policy.lifetime.total_seconds():
        return EXPIRED
    if t - stored["seen"] > policy.idle.total_seconds():
        return IDLE
    return None


def touched(stored: Mapping[str, Any] | None, now: dt.datetime) -> dict[str, int] | None:
    """The (accepted) stamp with ``seen`` moved to now, or None when it is recent enough to keep."""
    t = int(now.timestamp())
    if stored is None or t - int(stored["seen"]) < TOUCH_SECONDS:
        return None
    return {**stored, "seen": t}


def end_all(user: User) -> None:
    """End every session of ``user`` (each one's stamped generation no longer matches)."""
    user.session_generation = (user.session_generation or 0) + 1
