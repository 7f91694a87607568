"""SLA clocks: how much of each promise a ticket has used, and when it runs out.

Two promises per ticket: first response and resolution, with minutes per
priority and optional per-category overrides (``[dispatch.sla]``).  Time is
counted in business hours, the ticket's queue's own when it has them (urgent
work around the clock by default), and
stops while the ticket waits on the customer (status ``pending``).  Pauses
are read from the ticket's own status history, so a pause over a weekend
costs nothing and the result is the same however often it is recomputed.
Everything takes ``now`` as an argument: tests drive the clock.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ..config import SLASettings
from .calendar import AroundTheClock, BusinessCalendar, CalendarError

KINDS = ("first_response", "resolution")
PENDING = "pending"


@dataclass(frozen=True)
class TicketTimes:
    """The few facts about a ticket its SLA depends on."""

    created_at: dt.datetime
    priority: str
    category: str
    status: str
    first_responded_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    # (start, end or None while still paused)
    pauses: tuple[tuple[dt.datetime, dt.datetime | None], ...] = ()
    # The ticket's queue's own opening hours (admin › queues); empty: the centre's.
    hours: tuple[tuple[str, str], ...] = ()
    # A customer's segment may promise faster (first response, resolution minutes; None: the policy's).
    stricter: tuple[int | None, int | None] = (None, None)


@dataclass(frozen=True)
class Clock:
    kind: str
    allowed: float  # seconds of (business) time promised
    consumed: float
    state: str  # ok | warning | breached | met | met_late | paused
    due_at: dt.datetime | None  # projected; None while paused or once met
    warn_at: dt.datetime | None  # projected instant of the warning, if still ahead

    @property
    def left(self) -> float:
        return self.allowed - self.consumed


def pauses_from_history(rows: Iterable[tuple[str | None, str | None, dt.datetime]],
                        paused_at: dt.datetime | None) -> tuple[tuple[dt.datetime, dt.datetime | None], ...]:
    """Status changes (old, new, at), oldest first -> pause intervals."""
    out: list[tuple[dt.datetime, dt.datetime | None]] = []
    start: dt.datetime | None = None
    for old, new, at in rows:
        if new == PENDING and start is None:
            start = at
        elif old == PENDING and new != PENDING and start is not None:
            out.append((start, at))
            start = None
    start = start or paused_at
    if start is not None:
        out.append((start, None))
    return tuple(out)


class SLA:
    def __init__(self, cfg: SLASettings, timezone: str) -> None:
        self.cfg = cfg
        self.timezone = timezone
        self.business = BusinessCalendar(cfg.business_hours, cfg.holidays, timezone)
        self._queues: dict[tuple[tuple[str, str], ...], BusinessCalendar] = {}
        self.always = AroundTheClock()
        self.around = {p.lower() for p in cfg.around_the_clock}
        for key, value in cfg.overrides.items():
            if ":" not in key or len(value) != 2:
                raise ValueError(f"SLA override {key!r}: use \"category:priority\" = [first, resolution]")

    def calendar(self, priority: str, hours: tuple[tuple[str, str], ...] = ()) -> BusinessCalendar | AroundTheClock:
        """Around the clock for urgent work, else the queue's own hours (or the centre's)."""
        if priority.lower() in self.around:
            return self.always
        if not hours:
            return self.business
        if hours not in self._queues:
            try:
                self._queues[hours] = BusinessCalendar(dict(hours), self.cfg.holidays, self.timezone)
            except CalendarError:  # hours the queue page would refuse: the centre's, rather than no clock
                self._queues[hours] = self.business
        return self._queues[hours]

    def minutes(self, category: str, priority: str) -> tuple[int, int]:
        """(first response, resolution) minutes for this category and priority."""
        for key in (f"{category}:{priority}", f"{category}:*"):
            if key in self.cfg.overrides:
                first, resolution = self.cfg.overrides[key]
                return int(first), int(resolution)
        return (int(self.cfg.first_response_minutes.get(priority, 240)),
                int(self.cfg.resolution_minutes.get(priority, 1440)))

    def consumed(self, t: TicketTimes, until: dt.datetime) -> float:
        cal = self.calendar(t.priority, t.hours)
        used = cal.elapsed(t.created_at, until)
        for start, end in t.pauses:
            used -= cal.elapsed(max(start, t.created_at), min(end or until, until))
        return max(0.0, used)

    def clock(self, t: TicketTimes, kind: str, now: dt.datetime) -> Clock:
        first, resolution = self.minutes(t.category, t.priority)
        first = min(first, t.stricter[0] or first)
        resolution = min(resolution, t.stricter[1] or resolution)
        allowed = 60.0 * (first if kind == "first_response" else resolution)
        met_at = t.first_responded_at if kind == "first_response" else t.resolved_at
        if met_at is not None:
            used = self.consumed(t, met_at)
            return Clock(kind, allowed, used, "met" if used <= allowed else "met_late", None, None)
        used = self.consumed(t, now)
        if t.status == PENDING:
            return Clock(kind, allowed, used, "paused", None, None)
        cal = self.calendar(t.priority, t.hours)
        # Whole seconds: 0.8 * 14400 must be 11520, not 11520.000000000002.
        warn_left = round(allowed * self.cfg.warn_at_fraction) - used
        if used >= allowed:
            state = "breached"
        elif warn_left <= 0:
            state = "warning"
        else:
            state = "ok"
        due = cal.add(now, allowed - used) if used < allowed else None
        warn_at = cal.add(now, warn_left) if warn_left > 0 else None
        return Clock(kind, allowed, used, state, due, warn_at)

    def clocks(self, t: TicketTimes, now: dt.datetime) -> list[Clock]:
        return [self.clock(t, kind, now) for kind in KINDS]

    def due_dates(self, t: TicketTimes, now: dt.datetime) -> dict[str, dt.datetime]:
        """Projected due instants to show on the ticket (as if resumed now, while paused).

        A breached promise keeps the due date it already has.
        """
        cal = self.calendar(t.priority, t.hours)
        return {c.kind: cal.add(now, c.left) for c in self.clocks(t, now)
                if c.state not in ("met", "met_late") and c.left > 0}
