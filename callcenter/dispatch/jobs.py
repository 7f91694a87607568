"""The scheduled jobs: module-level functions that take only IDs.

APScheduler pickles a job as "callcenter.dispatch.jobs:run_callback" plus
its arguments, so these names and signatures are a storage format: rename
one and stored jobs stop loading.  Each job finds the running dispatcher's
``Runtime`` (installed by the service when it becomes active), does its
work in short transactions and schedules its own next run.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..config import CallbackSettings, Settings, SurveySettings
from ..db import transaction
from ..models import Ticket, TicketStatus, utcnow
from . import scheduler as sched
from .assigner import Assigner
from .callbacks import for_abandoned_call
from .escalation import Escalator
from .placing import CallbackPlacer
from .surveys import SurveyPlacer, schedule_for_resolved

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    engine: Engine
    factory: sessionmaker[Session]
    scheduler: BackgroundScheduler
    assigner: Assigner
    escalator: Escalator
    callbacks: CallbackPlacer
    surveys: SurveyPlacer
    region: str
    settings_callbacks: CallbackSettings
    settings_surveys: SurveySettings
    clock: Callable[[], dt.datetime] = field(default=utcnow)
    last_reconcile: dt.datetime | None = None
    # All settings, for the daily jobs (dispatch/daily.py).
    settings: Settings | None = None

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


# -- the jobs ------------------------------------------------------------------------
def run_callback(callback_id: int) -> None:
    rt = current()
    nxt = rt.callbacks.run(rt.factory, callback_id, rt.clock())
    rt.at(f"callback:{callback_id}", run_callback, nxt, callback_id)


def run_survey(survey_id: int) -> None:
    rt = current()
    nxt = rt.surveys.run(rt.factory, survey_id, rt.clock())
    rt.at(f"survey:{survey_id}", run_survey, nxt, survey_id)


def check_sla(ticket_id: int) -> None:
    rt = current()
    with transaction(rt.factory) as session:
        nxt = rt.escalator.check(session, ticket_id, rt.clock())
    rt.at(f"sla:{ticket_id}", check_sla, nxt, ticket_id)


def check_acceptance(ticket_id: int) -> None:
    rt = current()
    with transaction(rt.factory) as session:
        _, nxt = rt.assigner.check_acceptance(session, ticket_id, rt.clock())
    rt.at(f"accept:{ticket_id}", check_acceptance, nxt, ticket_id)


def review_ticket(ticket_id: int) -> None:
    """A ticket was created or changed: assign it if nobody has it, then set its timers."""
    rt = current()
    now = rt.clock()
    survey = None
    with transaction(rt.factory) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return
        if ticket.status is TicketStatus.RESOLVED:
            made = schedule_for_resolved(session, ticket_id, rt.settings_surveys, rt.surveys.quiet)
            survey = (made.id, made.scheduled_at) if made else None
        elif ticket.assignee_id is None and ticket.status in (TicketStatus.NEW, TicketStatus.OPEN):
            rt.assigner.assign(session, ticket_id, now)
    if survey is not None:
        rt.at(f"survey:{survey[0]}", run_survey, survey[1] or now, survey[0])
    rt.at(f"sla:{ticket_id}", check_sla, now, ticket_id)
    rt.at(f"accept:{ticket_id}", check_acceptance, now, ticket_id)


def abandoned_call(call_id: int) -> None:
    rt = current()
    with transaction(rt.factory) as session:
        cb = for_abandoned_call(session, call_id, rt.settings_callbacks, rt.region)
        job = (cb.id, cb.next_attempt_at or cb.due_at) if cb else None
    if job:
        rt.at(f"callback:{job[0]}", run_callback, job[1], job[0])


def reconcile() -> None:
    """The database is the truth: give every piece of pending work its job."""
    from .reconcile import reconcile as run

    run(current())
