"""A length of time as a person reads it, in their language: "45 s", "3 min 20 s", "22 min", "1 h 05 min".

Never "22:00", which reads as a time of day.  The words are catalogue
messages (``N_``); each caller passes its reader's ``gettext`` (the web's
for pages, the e-mail's own for the daily summary), so one function serves both.
"""
from __future__ import annotations

from collections.abc import Callable

from . import N_, fill

SECONDS = N_("%(s)s s")
MINUTES = N_("%(m)s min")
MINUTES_SECONDS = N_("%(m)s min %(s)s s")
# Below this, seconds still matter (a handle time of 3 min 20 s is not "3 min").
EXACT_BELOW = 600
HOURS = N_("%(h)s h %(m)s min")
DAYS = N_("%(d)s d %(h)s h")


def duration(seconds: float | None, gettext: Callable[[str], str] = str) -> str:
    """``seconds`` rounded to what matters at its size: seconds up to ten minutes, then minutes, then hours."""
    if seconds is None:
        return "—"
    total = round(float(seconds))
    if total < 60:
        return fill(gettext(SECONDS), {"s": total})
    if total < EXACT_BELOW and total % 60:
        return fill(gettext(MINUTES_SECONDS), {"m": total // 60, "s": f"{total % 60:02d}"})
    minutes = round(total / 60)
    if minutes < 60:
        return fill(gettext(MINUTES), {"m": minutes})
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return fill(gettext(HOURS), {"h": hours, "m": f"{rest:02d}"})
    return fill(gettext(DAYS), {"d": hours // 24, "h": hours % 24})
