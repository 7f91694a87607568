"""The periodic sweep: every piece of pending work in the database gets its job.

Events (``callback_requested``, ``ticket_*``, ``call_ended``) schedule work
at once; this sweep is what makes the dispatcher correct without them: work
created while no dispatcher was active, by a process on another bus, or a
job lost in a crash is found here and scheduled (its idempotency key keeps
it from running twice).  It also closes DIALING callbacks whose outcome
can no longer be known.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import transaction
from ..models import (
    Call,
    Callback,
    CallbackStatus,
    Disposition,
    NoticeStatus,
    PhoneNotice,
    Survey,
    SurveyChannel,
    SurveyStatus,
    Ticket,
    TicketStatus,
)
from .runtime import Runtime
from .surveys import close_unanswered

log = logging.getLogger(__name__)
# An answered survey call with no score after this long was declined.
SURVEY_ANSWER_WAIT = dt.timedelta(hours=1)
# Abandoned calls older than this are not offered a callback any more.
ABANDONED_LOOKBACK = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Work:
    job_id: str
    job: str  # the name of a function in ``jobs``
    when: dt.datetime
    arg: int


def pending(rt: Runtime) -> list[Work]:
    """Close what can no longer finish, then list every piece of work that should have a job."""
    now = rt.clock()
    with transaction(rt.factory) as session:
        stale = rt.callbacks.close_stale(session, now, rt.placer.cfg.dialing_timeout_seconds)
        close_unanswered(session, now, SURVEY_ANSWER_WAIT)
    if stale:
        log.warning("closed %d callback(s) whose outcome was lost: %s", len(stale), stale)
    since = rt.last_reconcile
    rt.last_reconcile = now
    with rt.factory() as session:
        return _pending(session, now, since, rt.settings_surveys.expire_hours)


def _pending(session: Session, now: dt.datetime, since: dt.datetime | None, expire_hours: int) -> list[Work]:
    work: list[Work] = []
    for cid, nxt, due in session.execute(select(Callback.id, Callback.next_attempt_at, Callback.due_at)
                                         .where(Callback.status == CallbackStatus.PENDING)):
        work.append(Work(f"callback:{cid}", "run_callback", nxt or due, cid))
    for sid, at in session.execute(select(Survey.id, Survey.scheduled_at).where(
            Survey.status == SurveyStatus.PENDING, Survey.channel == SurveyChannel.OUTBOUND)):
        work.append(Work(f"survey:{sid}", "run_survey", at or now, sid))
    # Tickets: all open ones when this dispatcher takes over, then the ones that changed.
    tq = select(Ticket.id).where(Ticket.status.in_((TicketStatus.NEW, TicketStatus.OPEN)))
    if since is not None:
        tq = tq.where(Ticket.updated_at >= since - dt.timedelta(seconds=5))
    for (tid,) in session.execute(tq):
        work.append(Work(f"ticket:{tid}", "review_ticket", now, tid))
    surveyed = select(Survey.ticket_id).where(Survey.ticket_id.is_not(None))
    for (tid,) in session.execute(select(Ticket.id).where(
            Ticket.status == TicketStatus.RESOLVED, Ticket.resolved_at >= now - dt.timedelta(hours=expire_hours),
            Ticket.id.not_in(surveyed))):
        work.append(Work(f"ticket:{tid}", "review_ticket", now, tid))
    for nid, at in session.execute(select(PhoneNotice.id, PhoneNotice.due_at).where(
            PhoneNotice.status == NoticeStatus.DUE)):
        work.append(Work(f"notice:{nid}", "run_notice", at or now, nid))
    offered = select(Callback.call_id).where(Callback.call_id.is_not(None))
    for (cid,) in session.execute(select(Call.id).where(
            Call.disposition == Disposition.ABANDONED_QUEUE, Call.ended_at >= now - ABANDONED_LOOKBACK,
            Call.caller_number.is_not(None), Call.id.not_in(offered))):
        work.append(Work(f"abandoned:{cid}", "abandoned_call", now, cid))
    return work
