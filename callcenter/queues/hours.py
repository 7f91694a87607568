"""A queue's opening hours: checked when an admin sets them, asked by the IVR and the SLA clock.

Hours are a weekday -> span map (``{"mon": "09:00-18:00", "sat": "", ...}``:
"" closed, "24h" all day, an end of "24:00" midnight), in the centre's time
zone with the centre's holidays ([dispatch.sla] holidays).  An empty map
means the queue keeps the centre's hours ([dispatch.sla] business_hours).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from ..config import Settings
from ..dispatch.calendar import DAYS, BusinessCalendar, CalendarError
from ..i18n import N_, Refusal

_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
SPAN = re.compile(rf"^{_TIME}-(?:{_TIME}|24:00)$")
ALL_DAY = "24h"
# What the command line and the summaries write for a closed day and for the centre's hours.
CLOSED, CENTRE = "closed", "centre"


def normalise(hours: Mapping[str, object]) -> dict[str, str]:
    """Every weekday's span, checked; {} stays {} (the centre's hours). Refusal says what is wrong."""
    if not hours:
        return {}
    unknown = sorted(str(day) for day in hours if day not in DAYS)
    if unknown:
        raise Refusal(N_("Unknown weekday %(day)s: use mon, tue, wed, thu, fri, sat, sun."),
                      field="business_hours", code="bad_hours", day=unknown[0])
    spans = {day: _span(day, hours.get(day, "")) for day in DAYS}
    if not any(spans.values()):
        raise Refusal(N_("A queue must be open on at least one day; retire it instead."),
                      field="business_hours", code="never_open")
    return spans


def _span(day: str, value: object) -> str:
    text = value.strip() if isinstance(value, str) else None
    if text is None:
        raise Refusal(N_("Opening hours are text such as 09:00-18:00."), field="business_hours", code="bad_hours")
    if text.lower() in ("", CLOSED):
        return ""
    if text.lower() == ALL_DAY:
        return ALL_DAY
    if not SPAN.match(text) or text[:5] >= text[6:]:
        raise Refusal(N_("%(day)s: opening hours are HH:MM-HH:MM, opening before closing."),
                      field="business_hours", code="bad_hours", day=day)
    return text


def parse_text(text: str) -> dict[str, str]:
    """The command line's form: "mon-fri=09:00-18:00,sat=10:00-14:00" (other days closed), or "centre"."""
    text = text.strip()
    if text.lower() == CENTRE:
        return {}
    hours = dict.fromkeys(DAYS, "")
    for part in filter(None, (p.strip() for p in text.split(","))):
        days, sep, span = part.partition("=")
        if not sep:
            raise Refusal(N_("Write opening hours as mon-fri=09:00-18:00,sat=10:00-14:00 or centre."),
                          field="business_hours", code="bad_hours")
        for day in _day_range(days.strip().lower()):
            hours[day] = span.strip()
    return normalise(hours)


def _day_range(text: str) -> list[str]:
    first, _, last = text.partition("-")
    last = last or first
    if first not in DAYS or last not in DAYS or DAYS.index(first) > DAYS.index(last):
        raise Refusal(N_("Unknown weekday %(day)s: use mon, tue, wed, thu, fri, sat, sun."),
                      field="business_hours", code="bad_hours", day=text)
    return list(DAYS[DAYS.index(first):DAYS.index(last) + 1])


def groups(hours: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Runs of weekdays with the same span, open days only: [("mon", "fri", "09:00-18:00"), ...]."""
    runs: list[tuple[str, str, str]] = []
    for day in DAYS:
        span = hours.get(day, "")
        if runs and runs[-1][2] == span and DAYS.index(runs[-1][1]) == DAYS.index(day) - 1:
            runs[-1] = (runs[-1][0], day, span)
        elif span:
            runs.append((day, day, span))
    return [run for run in runs if run[2]]


def text(hours: Mapping[str, str]) -> str:
    """Hours in the command line's own form (what ``parse_text`` reads back)."""
    if not hours:
        return CENTRE
    runs = [(a if a == b else f"{a}-{b}") + f"={span}" for a, b, span in groups(hours)]
    return ",".join(runs) or CLOSED


def calendar(hours: Mapping[str, str], settings: Settings) -> BusinessCalendar:
    """The queue's calendar: its own hours, or the centre's, with the centre's holidays and time zone."""
    sla = settings.dispatch.sla
    return BusinessCalendar(dict(hours) or sla.business_hours, sla.holidays, settings.timezone)


def is_open(hours: Mapping[str, str], settings: Settings, at: dt.datetime) -> bool:
    """Whether the queue takes calls at ``at``; a calendar that cannot be read never closes the line."""
    try:
        return calendar(hours, settings).is_open(at)
    except CalendarError:
        return True


def closed(hours: Mapping[str, str], settings: Settings, at: dt.datetime) -> bool:
    """Whether a caller of this queue hears "we are closed" now.  A queue with its own hours closes
    outside them; one that keeps the centre's only when [ivr] closed_outside_centre_hours says so
    (a centre's SLA hours need not be its phone hours, and an upgrade must not close lines by itself)."""
    if not hours and not settings.ivr.closed_outside_centre_hours:
        return False
    return not is_open(hours, settings, at)


def opens_at(hours: Mapping[str, str], settings: Settings, at: dt.datetime) -> dt.datetime:
    """When the queue next opens (``at`` itself while open)."""
    try:
        return calendar(hours, settings).next_open(at)
    except CalendarError:
        return at
