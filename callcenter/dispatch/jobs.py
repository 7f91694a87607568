"""The scheduled jobs: module-level functions that take only IDs.

APScheduler pickles a job as "callcenter.dispatch.jobs:run_callback" plus
its arguments, so these names and signatures are a storage format: rename
one and stored jobs stop loading.  Each job finds the running dispatcher's
``Runtime`` (installed by the service when it becomes active), does its
work in short transactions and schedules its own next run.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from ..db import transaction
from ..models import NoticeStatus, PhoneNotice, Queue, Ticket, TicketStatus
from . import reconcile as sweep
from . import scheduler as sched
from .runtime import current
from .surveys import schedule_for_resolved

log = logging.getLogger(__name__)


# -- the jobs ------------------------------------------------------------------------
def run_callback(callback_id: int) -> None:
    rt = current()
    nxt = rt.placer.run(rt.factory, callback_id, rt.clock())
    rt.at(f"callback:{callback_id}", run_callback, nxt, callback_id)


def run_survey(survey_id: int) -> None:
    rt = current()
    nxt = rt.surveys.run(rt.factory, survey_id, rt.clock())
    rt.at(f"survey:{survey_id}", run_survey, nxt, survey_id)


def run_notice(subscription_id: int) -> None:
    """Tell one incident subscriber it is fixed (dispatch/notices.py)."""
    rt = current()
    nxt = rt.notices.run(rt.factory, subscription_id, rt.clock())
    rt.at(f"notice:{subscription_id}", run_notice, nxt, subscription_id)


def incident_ended(incident_id: int) -> None:
    """A solved incident: each of its due subscribers gets their notice job."""
    rt = current()
    with rt.factory() as session:
        due = session.execute(select(PhoneNotice.id, PhoneNotice.due_at).where(
            PhoneNotice.incident_id == incident_id, PhoneNotice.status == NoticeStatus.DUE)).all()
    for sid, when in due:
        rt.at(f"notice:{sid}", run_notice, when or rt.clock(), sid)


def watch_surge(ticket_id: int) -> None:
    """A new ticket: with its similar new ones, a surge?  Then an incident is proposed (problems/incidents.py)."""
    rt = current()
    if rt.incidents is None:
        return
    with transaction(rt.factory) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None:
            rt.incidents.watch(session, ticket, rt.clock())


def watch_call_surge(queue_id: int) -> None:
    """A call joined the queue: with the queue's other recent calls, a surge?  (problems/incidents.py)"""
    rt = current()
    if rt.incidents is None:
        return
    with transaction(rt.factory) as session:
        queue = session.scalar(select(Queue.name).where(Queue.id == queue_id))
        if queue:
            rt.incidents.watch_calls(session, queue, rt.clock())


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
        cb = rt.callbacks.for_abandoned_call(session, call_id)
        job = (cb.id, cb.next_attempt_at or cb.due_at) if cb else None
    if job:
        rt.at(f"callback:{job[0]}", run_callback, job[1], job[0])


def reconcile() -> None:
    """The database is the truth: give every piece of pending work its job."""
    rt = current()
    have = sched.scheduled_ids(rt.engine)
    added = 0
    for work in sweep.pending(rt):
        if work.job_id not in have:
            rt.at(work.job_id, JOBS[work.job], work.when, work.arg)
            added += 1
    if added:
        log.info("reconcile: scheduled %d job(s)", added)


# What the sweep may ask for, by name.
JOBS: dict[str, Callable[[int], None]] = {
    "run_callback": run_callback, "run_survey": run_survey, "review_ticket": review_ticket,
    "abandoned_call": abandoned_call, "run_notice": run_notice,
}
