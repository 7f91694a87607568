"""Days as the call centre counts them, turned into UTC bounds for queries.

Every page, API call, export and report that filters by date reads its
"from"/"to" days here, in the centre's time zone (``[settings] timezone``),
so 1 December means the same calls and tickets on ``/tickets``, ``/review``,
``/qa``, ``/reports`` and ``/api/v1`` alike.  Both days are inclusive;
either may be left open.  Dates come from users: anything that is not a
plain ISO date in a sensible year is treated as not given.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement

# Far-off years overflow once converted to UTC; nobody files tickets there.
FIRST_YEAR, LAST_YEAR = 1900, 9000


def parse(text: Any) -> dt.date | None:
    """An ISO date (``2026-12-01``) from user input, or None."""
    if isinstance(text, dt.date):
        return text
    if not isinstance(text, str):
        return None
    try:
        day = dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def parse_local(text: Any, zone: str) -> dt.datetime | None:
    """A local date and time (``2026-12-01T14:30``, as a ``datetime-local`` field sends it) in the zone, as a UTC
    time; None when it is not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip()[:19])
    except ValueError:
        return None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def midnight(day: dt.date, zone: str) -> dt.datetime:
    """The start of ``day`` in the zone, as a UTC time."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def local_date(moment: dt.datetime, zone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(zone)).date()


def today(zone: str, now: dt.datetime | None = None) -> dt.date:
    return local_date(now or dt.datetime.now(dt.UTC), zone)


@dataclass(frozen=True)
class Days:
    """Calendar days ``first`` to ``last`` (inclusive; None = open) in one time zone."""

    first: dt.date | None
    last: dt.date | None
    zone: str

    @property
    def start(self) -> dt.datetime | None:
        """UTC start of the first day (None: no lower bound)."""
        return None if self.first is None else midnight(self.first, self.zone)

    @property
    def end(self) -> dt.datetime | None:
        """UTC start of the day after the last (None: no upper bound); exclusive."""
        return None if self.last is None else midnight(self.last + dt.timedelta(days=1), self.zone)

    def clauses(self, column: Any) -> list[ColumnElement[bool]]:
        """``column >= start`` and ``column < end``, for the bounds that are set."""
        out = []
        if self.start is not None:
            out.append(column >= self.start)
        if self.end is not None:
            out.append(column < self.end)
        return out

    def __bool__(self) -> bool:
        return self.first is not None or self.last is not None


def between(first: Any, last: Any, zone: str) -> Days:
    """The days from user input (strings or dates); reversed bounds are put in order."""
    a, b = parse(first), parse(last)
    if a is not None and b is not None and b < a:
        a, b = b, a
    return Days(a, b, zone)


def one(day: Any, zone: str) -> Days:
    d = parse(day)
    return Days(d, d, zone)


def last_days(n: int, zone: str, now: dt.datetime | None = None) -> Days:
    """The ``n`` days up to and including today (the reports' default period)."""
    end = today(zone, now)
    return Days(end - dt.timedelta(days=n - 1), end, zone)


def clock_time(value: str, name: str) -> str:
    """A setting's local time of day, "HH:MM", checked (ValueError names the setting)."""
    hour, _, minute = value.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ValueError(f"{name} must be HH:MM")
    return value
