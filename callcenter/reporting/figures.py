"""Supervisor reports: the figures a call centre steers by, with their definitions.

Every figure is computed in SQL or plain Python from stored rows, so a test
can compute it by hand from fixture calls and tickets and get the same value.

Definitions (shown in the UI next to each figure):
* offered: calls that reached a queue; answered + abandoned_queue + callback_requested.
* abandonment rate: abandoned in queue / offered.
* service level: answered within the queue's target (Queue.service_level_seconds,
  default 20 s) / (answered + abandoned in queue).
* average handle time: mean talk seconds (hold included) of answered calls.
* first response time: ticket first_responded_at - created_at, mean and p90.
* first-contact resolution: resolved/closed call tickets with one linked call
  and never reopened / all resolved/closed call tickets.
* CSAT: mean survey score (1-5) and share of 4-5, by agent, queue, category.
* callbacks kept: callbacks due in the period reached by their SLA time (or due
  time) / callbacks due in the period.

A team means its queues and its agents, as visibility.py scopes a supervisor:
* the team's queues: the queues set to the team (Queue.team_id), and the
  queues set to no team that one of its members serves (AgentQueue); a queue
  set to another team is that team's, even if one of ours helps out there;
* its calls: every call of its queues, abandoned ones included (by queue id,
  or by queue name for calls recorded before the queue was known), and the
  calls its members answered anywhere;
* its tickets: of the team, its queues or its members; its surveys: of its
  tickets, its queues' calls or its members; its callbacks: of its queues or
  members.
So a team's abandonment rate over its one queue is the rate the centre shows
for that queue.  ``scope`` is the teams the viewer may read (None: all).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from ..access.visibility import calls_of_queues, team_queues
from ..days import Days
from ..models import (
    Call,
    Callback,
    CallbackStatus,
    Disposition,
    Queue,
    Survey,
    SurveyStatus,
    Ticket,
    TicketChange,
    TicketStatus,
    User,
)

IN_QUEUE = (Disposition.ANSWERED, Disposition.ABANDONED_QUEUE, Disposition.CALLBACK_REQUESTED)
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


@dataclass
class ReportFilter:
    start: dt.datetime
    end: dt.datetime
    queue_ids: list[int] = field(default_factory=list)
    team_id: int | None = None
    agent_id: int | None = None
    timezone: str = "UTC"
    scope: list[int] | None = None  # the teams the viewer may read; None: every team

    @classmethod
    def of(cls, period: Days) -> ReportFilter:
        """A report over whole days of the centre (both bounds must be set)."""
        if period.start is None or period.end is None:
            raise ValueError("a report needs a first and a last day")
        return cls(start=period.start, end=period.end, timezone=period.zone)

    def teams(self) -> list[int] | None:
        """The teams the figures cover: the chosen one, else the viewer's scope (None: no team filter)."""
        return [self.team_id] if self.team_id is not None else self.scope

    def calls(self, query: Select[Any]) -> Select[Any]:
        query = query.where(Call.started_at >= self.start, Call.started_at < self.end)
        if self.queue_ids:
            query = query.where(calls_of_queues(self.queue_ids))
        if self.agent_id is not None:
            query = query.where(Call.agent_id == self.agent_id)
        teams = self.teams()
        if teams is not None:
            query = query.where(or_(Call.agent_id.in_(members(teams)), calls_of_queues(team_queues(teams))))
        return query

    def tickets(self, query: Select[Any]) -> Select[Any]:
        query = query.where(Ticket.created_at >= self.start, Ticket.created_at < self.end)
        if self.queue_ids:
            query = query.where(Ticket.queue_id.in_(self.queue_ids))
        if self.agent_id is not None:
            query = query.where(Ticket.assignee_id == self.agent_id)
        teams = self.teams()
        if teams is not None:
            query = query.where(or_(Ticket.team_id.in_(teams), Ticket.assignee_id.in_(members(teams)),
                                    Ticket.queue_id.in_(team_queues(teams))))
        return query

    def surveys(self, query: Select[Any]) -> Select[Any]:
        """Completed surveys of the period, of the chosen queues, agent and teams."""
        query = query.where(Survey.status == SurveyStatus.COMPLETED, Survey.score.is_not(None),
                            Survey.completed_at >= self.start, Survey.completed_at < self.end)
        if self.agent_id is not None:
            query = query.where(Survey.agent_id == self.agent_id)
        if self.queue_ids:
            query = query.where(Survey.call_id.in_(select(Call.id).where(calls_of_queues(self.queue_ids))))
        teams = self.teams()
        if teams is not None:
            query = query.where(survey_of_teams(teams))
        return query


def members(teams: list[int]) -> Select[tuple[int]]:
    return select(User.id).where(User.team_id.in_(teams))


def survey_of_teams(teams: list[int]) -> ColumnElement[bool]:
    """A survey belongs to a team through its ticket's team, its call's queue or its agent."""
    return or_(Survey.ticket_id.in_(select(Ticket.id).where(Ticket.team_id.in_(teams))),
               Survey.call_id.in_(select(Call.id).where(calls_of_queues(team_queues(teams)))),
               Survey.agent_id.in_(members(teams)))


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else round(part / whole, 4)


def _queue_of_call() -> ColumnElement[bool]:
    """A call's queue: by id, or by name for a call recorded before its queue was known."""
    return or_(Queue.id == Call.queue_id, and_(Call.queue_id.is_(None), Queue.name == Call.queue_name))


def call_figures(session: Session, f: ReportFilter) -> dict[str, Any]:
    counts = dict(session.execute(f.calls(select(Call.disposition, func.count()).group_by(Call.disposition)))
                  .tuples().all())
    answered = counts.get(Disposition.ANSWERED, 0)
    abandoned = counts.get(Disposition.ABANDONED_QUEUE, 0)
    offered = sum(counts.get(d, 0) for d in IN_QUEUE)
    target = func.coalesce(Queue.service_level_seconds, 20)
    within = session.scalar(f.calls(
        select(func.count()).select_from(Call).outerjoin(Queue, _queue_of_call())
        .where(Call.disposition == Disposition.ANSWERED, Call.wait_seconds <= target))) or 0
    aht = session.scalar(f.calls(select(func.avg(Call.talk_seconds)).where(
        Call.disposition == Disposition.ANSWERED, Call.talk_seconds.is_not(None))))
    return {
        "calls": sum(counts.values()), "offered": offered, "answered": answered, "abandoned_queue": abandoned,
        "abandoned_ivr": counts.get(Disposition.ABANDONED_IVR, 0),
        "callback_requested": counts.get(Disposition.CALLBACK_REQUESTED, 0),
        "abandonment_rate": _ratio(abandoned, offered),
        "service_level": _ratio(within, answered + abandoned),
        "average_handle_seconds": None if aht is None else round(float(aht), 1),
    }


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)


def ticket_figures(session: Session, f: ReportFilter) -> dict[str, Any]:
    pairs = session.execute(f.tickets(select(Ticket.created_at, Ticket.first_responded_at)
                                      .where(Ticket.first_responded_at.is_not(None)))).all()
    waits = [(responded - created).total_seconds() for created, responded in pairs]
    done_call_tickets = session.scalars(f.tickets(select(Ticket.id).where(
        Ticket.status.in_(DONE), Ticket.origin_call_id.is_not(None)))).all()
    fcr = 0
    if done_call_tickets:
        calls_per = dict(session.execute(select(Call.ticket_id, func.count()).where(
            Call.ticket_id.in_(done_call_tickets)).group_by(Call.ticket_id)).tuples().all())
        reopened = set(session.scalars(select(TicketChange.ticket_id).where(
            TicketChange.ticket_id.in_(done_call_tickets), TicketChange.field == "status",
            TicketChange.old_value.in_([s.value for s in DONE]),
            TicketChange.new_value.not_in([s.value for s in DONE]))))
        fcr = sum(1 for t in done_call_tickets if calls_per.get(t, 1) <= 1 and t not in reopened)
    return {
        "tickets": session.scalar(f.tickets(select(func.count()).select_from(Ticket))) or 0,
        "first_response_mean_seconds": round(sum(waits) / len(waits), 1) if waits else None,
        "first_response_p90_seconds": _p90(waits),
        "first_contact_resolution": _ratio(fcr, len(done_call_tickets)),
    }


def csat(session: Session, f: ReportFilter, by: str) -> list[dict[str, Any]]:
    """Mean score and share satisfied (4-5) grouped by 'agent', 'queue' or 'category'."""
    key = {"agent": func.coalesce(User.display_name, User.username), "queue": Queue.name,
           "category": Ticket.category}[by]
    query = f.surveys(select(key.label("key"), func.count(), func.avg(Survey.score),
                    func.sum(case((Survey.score >= 4, 1), else_=0)))
             .select_from(Survey).join(Call, Call.id == Survey.call_id, isouter=True)
             .join(Ticket, Ticket.id == Survey.ticket_id, isouter=True)
             .join(User, User.id == Survey.agent_id, isouter=True)
             .join(Queue, Queue.id == Call.queue_id, isouter=True)
             .group_by(key).order_by(key))
    return [{"key": k or "—", "surveys": n, "mean": round(float(mean), 2), "satisfied": _ratio(float(sat or 0), n)}
            for k, n, mean, sat in session.execute(query)]


def callbacks_kept(session: Session, f: ReportFilter) -> dict[str, Any]:
    promise = func.coalesce(Callback.sla_due_at, Callback.due_at)
    due = select(func.count()).select_from(Callback).where(Callback.due_at >= f.start, Callback.due_at < f.end,
                                                           Callback.status != CallbackStatus.CANCELLED)
    if f.queue_ids:
        due = due.where(Callback.queue_id.in_(f.queue_ids))
    teams = f.teams()
    if teams is not None:
        due = due.where(or_(Callback.queue_id.in_(team_queues(teams)),
                            Callback.assigned_agent_id.in_(members(teams))))
    kept = due.where(Callback.status == CallbackStatus.REACHED, Callback.completed_at <= promise)
    total, on_time = session.scalar(due) or 0, session.scalar(kept) or 0
    return {"due": total, "kept": on_time, "kept_rate": _ratio(on_time, total)}


def volume_heatmap(session: Session, f: ReportFilter) -> list[list[int]]:
    """Calls by weekday (0 = Monday) x hour of day, in the centre's time zone."""
    zone = ZoneInfo(f.timezone)
    grid = [[0] * 24 for _ in range(7)]
    for (started,) in session.execute(f.calls(select(Call.started_at))):
        local = started.astimezone(zone)
        grid[local.weekday()][local.hour] += 1
    return grid


def summary(session: Session, f: ReportFilter) -> dict[str, Any]:
    return {"calls": call_figures(session, f), "tickets": ticket_figures(session, f),
            "callbacks": callbacks_kept(session, f)}


def day_filter(day: dt.date, timezone: str = "UTC") -> ReportFilter:
    """One local day, as the daily summary uses it."""
    return ReportFilter.of(Days(day, day, timezone))

