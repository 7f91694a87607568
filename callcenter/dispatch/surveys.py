"""Satisfaction surveys: the outbound call after a ticket is resolved, and CSAT.

One survey per ticket at most (``surveys.ticket_id`` is unique, and an IVR
survey on the ticket's call counts too).  The call is placed once, after a
delay and outside quiet hours, into the PBX's survey context; the IVR's
survey handler records the score (CC_SURVEY_ID tells it which survey).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..access.dialling import DiallingPolicy, NumberRefused, record_refusal
from ..config import SurveySettings
from ..db import rowcount, transaction
from ..models import (
    Call,
    CustomerPhone,
    Survey,
    SurveyChannel,
    SurveyStatus,
    Ticket,
    TicketStatus,
    utcnow,
)
from ..reporting.figures import survey_of_teams
from . import runs
from .calendar import DailyWindow
from .dialer import Dialer, DialRequest, DialResult, Outcome, dial_once
from .notifier import DISPATCHER
from .placing import E164, NO_DIALER_WAIT

STATUS_FOR = {Outcome.NO_ANSWER: SurveyStatus.NO_ANSWER, Outcome.BUSY: SurveyStatus.NO_ANSWER,
              Outcome.FAILED: SurveyStatus.FAILED}


def number_for(session: Session, ticket: Ticket) -> str | None:
    """Where to call: the number the customer called from, else their first phone."""
    if ticket.origin_call_id:
        number = session.scalar(select(Call.caller_number).where(Call.id == ticket.origin_call_id))
        if number:
            return number
    if ticket.customer_id:
        return session.scalar(select(CustomerPhone.number).where(
            CustomerPhone.customer_id == ticket.customer_id).order_by(CustomerPhone.id).limit(1))
    return None


def schedule_for_resolved(session: Session, ticket_id: int, cfg: SurveySettings,
                          quiet: DailyWindow) -> Survey | None:
    """Create the outbound survey of a resolved ticket, unless it already has one."""
    ticket = session.get(Ticket, ticket_id)
    if not cfg.outbound or ticket is None or ticket.status is not TicketStatus.RESOLVED:
        return None
    taken = select(Survey.id).where(Survey.ticket_id == ticket.id)
    if ticket.origin_call_id:
        taken = select(Survey.id).where((Survey.ticket_id == ticket.id) | (Survey.call_id == ticket.origin_call_id))
    if session.scalar(taken.limit(1)) is not None or number_for(session, ticket) is None:
        return None
    resolved = ticket.resolved_at or utcnow()
    survey = Survey(channel=SurveyChannel.OUTBOUND, ticket_id=ticket.id, call_id=ticket.origin_call_id,
                    agent_id=ticket.assignee_id, customer_id=ticket.customer_id,
                    scheduled_at=quiet.next_allowed(resolved + dt.timedelta(minutes=cfg.delay_minutes)))
    try:
        with session.begin_nested():  # the unique ticket_id settles a race with another writer
            session.add(survey)
    except IntegrityError:
        return None
    return survey


@dataclass
class SurveyPlacer:
    cfg: SurveySettings
    dialer: Dialer | None
    quiet: DailyWindow
    context: str
    endpoint: str
    policy: DiallingPolicy = field(kw_only=True)

    def run(self, factory: sessionmaker[Session], survey_id: int, now: dt.datetime) -> dt.datetime | None:
        with transaction(factory) as session:
            started = self._start(session, survey_id, now)
        if not isinstance(started, DialRequest):
            return started
        result = dial_once(self.dialer, started, f"survey {survey_id}")
        with transaction(factory) as session:
            self._finish(session, survey_id, started.key, result)
        return None

    def _start(self, session: Session, survey_id: int, now: dt.datetime) -> DialRequest | dt.datetime | None:
        survey = session.get(Survey, survey_id)
        if survey is None or survey.status is not SurveyStatus.PENDING or survey.channel is not SurveyChannel.OUTBOUND:
            return None
        if survey.scheduled_at and survey.scheduled_at > now + dt.timedelta(seconds=1):
            return survey.scheduled_at
        if self.dialer is None:
            return now + NO_DIALER_WAIT
        ticket = session.get(Ticket, survey.ticket_id) if survey.ticket_id else None
        resolved = (ticket.resolved_at if ticket else None) or survey.created_at
        number = number_for(session, ticket) if ticket else None
        if now - resolved > dt.timedelta(hours=self.cfg.expire_hours) or number is None or not E164.match(number):
            survey.status = SurveyStatus.FAILED
            runs.claim(session, f"survey:{survey.id}:dial", "survey")
            runs.finish(session, f"survey:{survey.id}:dial", "skipped",
                        why="expired" if number else "no callable number")
            return None
        refusal = self.policy.check(number)
        if refusal is not None:
            survey.status = SurveyStatus.FAILED
            record_refusal(session, DISPATCHER, NumberRefused(number, refusal), "survey")
            runs.claim(session, f"survey:{survey.id}:dial", "survey")
            runs.finish(session, f"survey:{survey.id}:dial", "skipped", why=f"dialling policy: {refusal.code}")
            return None
        if not self.quiet.allows(now):
            survey.scheduled_at = self.quiet.next_allowed(now)
            return survey.scheduled_at
        won = rowcount(session.execute(update(Survey).where(Survey.id == survey.id,
                                                            Survey.status == SurveyStatus.PENDING)
                                       .values(status=SurveyStatus.DIALING))) == 1
        key = f"survey:{survey.id}:dial"
        if not won or not runs.claim(session, key, "survey", number=number):
            return None
        variables = {"CC_SURVEY_ID": str(survey.id), "CC_TICKET_ID": str(survey.ticket_id or "")}
        lang = ticket.language if ticket else None
        variables["CC_LANG"] = lang if lang in ("en", "zh") else "en"
        return DialRequest(key=key, channel=f"PJSIP/{number}@{self.endpoint}", context=self.context,
                           variables={k: v for k, v in variables.items() if v},
                           ring_seconds=self.cfg.ring_seconds)

    def _finish(self, session: Session, survey_id: int, key: str, result: DialResult) -> None:
        runs.finish(session, key, result.outcome.value, detail=result.detail[:500])
        status = STATUS_FOR.get(result.outcome)
        if status is not None:  # reached: the IVR records the score; unknown: never redialled
            session.execute(update(Survey).where(Survey.id == survey_id, Survey.status == SurveyStatus.DIALING)
                            .values(status=status, completed_at=utcnow()))


def close_unanswered(session: Session, now: dt.datetime, after: dt.timedelta) -> int:
    """Surveys still DIALING long after the call: answered without a score, or unknown."""
    hit = session.execute(update(Survey).where(
        Survey.status == SurveyStatus.DIALING, Survey.updated_at < now - after, Survey.score.is_(None))
        .values(status=SurveyStatus.DECLINED, completed_at=now))
    return rowcount(hit)


def csat(session: Session, by: str, since: dt.datetime | None = None,
         team_id: int | None = None) -> list[dict[str, Any]]:
    """Responses, mean score and CSAT (share of 4s and 5s) per agent, queue or category; of one team if given."""
    column = {"agent": Survey.agent_id, "queue": Call.queue_name,
              "category": func.coalesce(Ticket.category, "")}[by]
    q = (select(column.label("key"), func.count(Survey.id), func.avg(Survey.score),
                func.sum(case((Survey.score >= 4, 1), else_=0)))
         .select_from(Survey)
         .outerjoin(Call, Call.id == Survey.call_id)
         .outerjoin(Ticket, Ticket.id == func.coalesce(Survey.ticket_id, Call.ticket_id))
         .where(Survey.score.is_not(None)).group_by(column).order_by(column))
    if since is not None:
        q = q.where(Survey.completed_at >= since)
    if team_id is not None:
        q = q.where(survey_of_teams([team_id]))
    return [{"key": key, "responses": n, "mean": round(float(avg), 2), "csat": round(100.0 * good / n, 1)}
            for key, n, avg, good in session.execute(q) if n]
