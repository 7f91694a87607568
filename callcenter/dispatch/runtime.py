"""What the active dispatcher's jobs work with, installed while this process holds the lock.

APScheduler stores a job as a function name and its ids, so a job cannot
carry objects; it finds them here (``current()``), and finds nothing in a
process that is standing by.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings, SurveySettings
from ..models import utcnow
from ..problems.incidents import Incidents
from . import scheduler as sched
from .assigner import Assigner
from .callbacks import Callbacks
from .escalation import Escalator
from .notices import NoticePlacer
from .placing import CallbackPlacer
from .surveys import SurveyPlacer


@dataclass
class Runtime:
    engine: Engine
    factory: sessionmaker[Session]
    scheduler: BackgroundScheduler
    assigner: Assigner
    escalator: Escalator
    callbacks: Callbacks
    placer: CallbackPlacer
    surveys: SurveyPlacer
    notices: NoticePlacer
    settings_surveys: SurveySettings
    # All settings, for the daily jobs (dispatch/daily.py).
    settings: Settings
    # Incident mode's surge watch (None: not watched).
    incidents: Incidents | None = None
    clock: Callable[[], dt.datetime] = field(default=utcnow)
    last_reconcile: dt.datetime | None = None

    def at(self, job_id: str, func: Callable[..., None], when: dt.datetime | None, *args: int) -> None:
        if when is not None:
            sched.at(self.scheduler, job_id, func, when, *args)


_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def current() -> Runtime:
    if _runtime is None:
        raise RuntimeError("no active dispatcher in this process")
    return _runtime
