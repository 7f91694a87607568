"""Business time: opening hours per weekday and holidays, in the centre's time zone.

SLA clocks and calling hours both ask the same two questions: how much
business time lies between two instants, and when will N business seconds
have passed.  Instants are aware UTC; hours are local (``settings.timezone``),
so daylight-saving changes are handled by zoneinfo, not by us.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from ..i18n import N_, Refusal

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UTC = dt.UTC
# Look at most this far ahead for open time (a calendar with none is refused).
HORIZON_DAYS = 800


class CalendarError(Refusal):
    """Business hours or holidays that cannot be used (said in the reader's language by the web)."""


END_OF_DAY = dt.time(23, 59, 59, 999999)


def parse_span(text: str) -> tuple[dt.time, dt.time] | None:
    """"09:00-18:00" -> (09:00, 18:00); "" -> None (closed); "24h" -> whole day; an end of "24:00" is midnight."""
    text = text.strip()
    if not text:
        return None
    if text.lower() == "24h":
        return dt.time(0), END_OF_DAY
    try:
        first, _, last = (p.strip() for p in text.partition("-"))
        start = dt.time.fromisoformat(first)
        end = END_OF_DAY if last == "24:00" else dt.time.fromisoformat(last)
    except ValueError as exc:
        raise CalendarError(N_("%(span)s is not a time span: use HH:MM-HH:MM."), code="bad_span",
                            span=repr(text)) from exc
    return start, end


class BusinessCalendar:
    def __init__(self, hours: dict[str, str], holidays: list[str], timezone: str) -> None:
        unknown = set(hours) - set(DAYS)
        if unknown:
            raise CalendarError(N_("Unknown weekdays in business hours: %(days)s."), code="bad_day",
                                days=", ".join(sorted(unknown)))
        self.zone = ZoneInfo(timezone)
        self.spans = [parse_span(hours.get(day, "")) for day in DAYS]
        for span in self.spans:
            if span and span[0] >= span[1]:
                raise CalendarError(N_("Business hours must not wrap past midnight."), code="wraps")
        try:
            self.holidays = {dt.date.fromisoformat(d) for d in holidays}
        except ValueError as exc:
            raise CalendarError(N_("Holidays are written YYYY-MM-DD."), code="bad_holiday") from exc
        if not any(self.spans):
            raise CalendarError(N_("Business hours are closed every day."), code="never_open")

    def intervals(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Open intervals (UTC) from the day containing ``start`` onwards."""
        day = start.astimezone(self.zone).date()
        for _ in range(HORIZON_DAYS):
            span = self.spans[day.weekday()]
            if span and day not in self.holidays:
                a = dt.datetime.combine(day, span[0], self.zone).astimezone(UTC)
                b = dt.datetime.combine(day, span[1], self.zone).astimezone(UTC)
                if b > start:
                    yield max(a, start), b
            day += dt.timedelta(days=1)

    def next_open(self, at: dt.datetime) -> dt.datetime:
        """``at`` itself when open, else the start of the next open interval."""
        for a, _ in self.intervals(at):
            return a
        raise CalendarError(N_("No business time within the horizon."), code="never_open")

    def is_open(self, at: dt.datetime) -> bool:
        return self.next_open(at) <= at

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant when ``seconds`` of business time have passed since ``start``."""
        left = max(0.0, seconds)
        for a, b in self.intervals(start):
            span = (b - a).total_seconds()
            if left <= span:
                return a + dt.timedelta(seconds=left)
            left -= span
        raise CalendarError(N_("No business time within the horizon."), code="never_open")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds between two instants (0 when end <= start)."""
        total = 0.0
        if end <= start:
            return total
        for a, b in self.intervals(start):
            if a >= end:
                break
            total += (min(b, end) - a).total_seconds()
        return total


class AroundTheClock:
    """The same interface for work that never sleeps (urgent tickets)."""

    def is_open(self, at: dt.datetime) -> bool:
        return True

    def next_open(self, at: dt.datetime) -> dt.datetime:
        return at

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        return start + dt.timedelta(seconds=max(0.0, seconds))

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> float:
        return max(0.0, (end - start).total_seconds())


class DailyWindow:
    """A local window every day ("09:00-20:00"), or its complement for quiet hours."""

    def __init__(self, span: str, timezone: str, *, inverted: bool = False) -> None:
        self.zone = ZoneInfo(timezone)
        self.span = parse_span(span)
        self.inverted = inverted

    def _inside(self, local: dt.time) -> bool:
        if self.span is None:
            return True  # no window configured: no restriction
        a, b = self.span
        inside = a <= local < b if a < b else (local >= a or local < b)
        return inside != self.inverted

    def allows(self, at: dt.datetime) -> bool:
        return self._inside(at.astimezone(self.zone).time())

    def next_allowed(self, at: dt.datetime) -> dt.datetime:
        """``at`` when allowed, else the next minute boundary at which it is."""
        probe = at
        for _ in range(24 * 60 + 1):
            if self.allows(probe):
                return probe
            probe = (probe + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        raise CalendarError(N_("The calling window is never open."), code="never_open")
