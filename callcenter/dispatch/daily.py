"""Daily work of the active dispatcher: the retention purge, the summary e-mail and the knowledge base's fit.

Each is a date job carrying the ordinal of the local day it is due on (an
int, as stored jobs must take only IDs) and scheduling its successor when it
runs.  ``plan`` runs when a dispatcher becomes active: a job already in the
store is left alone (APScheduler runs it however late, once); a missing one
is created, at once when today's slot has passed unclaimed (the dispatcher
was down at that time), else at the next slot.  The run itself claims
``purge:<day>`` / ``summary:<day>`` / ``calibrate:<day>``, so a restart, a second dispatcher or a
replayed job never purges or sends twice for one day.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from ..config import Settings
from ..db import transaction
from ..governance import retention
from ..knowledge import calibrating
from ..reporting import mail
from . import runs
from . import scheduler as sched
from .notifier import DISPATCHER
from .runtime import Runtime, current

log = logging.getLogger(__name__)
PURGE_JOB = "daily:purge"
SUMMARY_JOB = "daily:summary"
CALIBRATE_JOB = "daily:calibrate"


def slot(day: dt.date, hhmm: str, timezone: str) -> dt.datetime:
    """``hhmm`` local time on ``day``, in UTC."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def purge_key(day: dt.date) -> str:
    return f"purge:{day.isoformat()}"


def summary_key(day: dt.date) -> str:
    """The slot on ``day`` sends the summary of the day before."""
    return mail.key(day - dt.timedelta(days=1))


def calibrate_key(day: dt.date) -> str:
    return f"calibrate:{day.isoformat()}"


def _schedule(settings: Settings) -> list[tuple[str, Callable[[int], None], str, str, Callable[[dt.date], str],
                                                bool]]:
    """(job id, function, HH:MM, time zone, the claim key of a day's slot, enabled)."""
    return [
        (PURGE_JOB, run_purge, settings.retention.purge_at, settings.timezone, purge_key, True),
        (SUMMARY_JOB, send_summary, settings.summary.send_at, mail.zone(settings), summary_key,
         settings.summary.enabled),
        (CALIBRATE_JOB, recalibrate, settings.knowledge.calibration.at, settings.timezone, calibrate_key,
         settings.knowledge.calibration.nightly),
    ]


def plan(rt: Runtime) -> None:
    """Give each enabled daily job its next run (called when this dispatcher becomes active)."""
    have = sched.scheduled_ids(rt.engine)
    now = rt.clock()
    for job_id, func, hhmm, tz, key, enabled in _schedule(rt.settings):
        if not enabled or job_id in have:
            continue
        today = now.astimezone(ZoneInfo(tz)).date()
        last = today if slot(today, hhmm, tz) <= now else today - dt.timedelta(days=1)
        with rt.factory() as session:
            missed = not runs.taken(session, key(last))
        day = last if missed else last + dt.timedelta(days=1)
        when = now if missed else slot(day, hhmm, tz)
        sched.at(rt.scheduler, job_id, func, when, day.toordinal())
        log.info("%s: next run %s (for %s)", job_id, when.isoformat(timespec="minutes"), day)


def _next(rt: Runtime, job_id: str, func: Callable[[int], None], day: dt.date) -> None:
    for jid, _, hhmm, tz, _, enabled in _schedule(rt.settings):
        if jid == job_id and enabled:
            nxt = day + dt.timedelta(days=1)
            rt.at(job_id, func, slot(nxt, hhmm, tz), nxt.toordinal())


# -- the jobs (stored by name: keep names and signatures) -----------------------------
def run_purge(day_ordinal: int) -> None:
    rt = current()
    day = dt.date.fromordinal(day_ordinal)
    try:
        done = retention.run_purge(rt.factory, rt.settings, key=purge_key(day),
                                   actor=DISPATCHER, now=rt.clock())
        if done is not None:
            log.info("retention purge for %s: %s", day, done.total)
    finally:
        _next(rt, PURGE_JOB, run_purge, day)


def send_summary(day_ordinal: int) -> None:
    """Due on ``day``: sends the summary of the day before, once."""
    rt = current()
    day = dt.date.fromordinal(day_ordinal)
    try:
        mail.send_once(rt.factory, rt.settings, day - dt.timedelta(days=1))
    except mail.SummaryError:
        pass  # logged and recorded on the JobRun; tomorrow's run is still scheduled
    finally:
        _next(rt, SUMMARY_JOB, send_summary, day)


def recalibrate(day_ordinal: int) -> None:
    """The knowledge base's nightly fit, once per day, and only when there is something new to learn from."""
    rt = current()
    day = dt.date.fromordinal(day_ordinal)
    key = calibrate_key(day)
    try:
        with transaction(rt.factory) as session:
            claimed = runs.claim(session, key, "calibrate", rt.clock())
        if claimed:
            outcome = calibrating.nightly(rt.factory, DISPATCHER)
            with transaction(rt.factory) as session:
                runs.finish(session, key, outcome)
    finally:
        _next(rt, CALIBRATE_JOB, recalibrate, day)
