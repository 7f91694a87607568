"""A supervisor's team right now and today, for their start page (an admin's: the whole centre).

* the agents of the teams they lead or belong to (``visibility.report_teams``),
  each with the state they declared at the desk, for how long, and whether
  they are on a call now;
* today's figures over those teams, with ``figures``' definitions (a team is
  its queues and its agents): offered, answered, abandoned, service level
  against the target of the team's queues; open tickets, SLA breaches and
  callbacks due that the viewer may see; calls per hour for the chart.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import days
from ..access import visibility
from ..models import (
    OPEN_STATUSES,
    AgentPresence,
    AgentProfile,
    Call,
    Callback,
    CallStatus,
    Disposition,
    PresenceState,
    Queue,
    Ticket,
    User,
    utcnow,
)
from ..tickets.deadlines import sla_clause
from . import figures
from .my_day import WAITING


@dataclass(frozen=True)
class AgentNow:
    user_id: int
    name: str
    state: str | None  # what they declared at the desk (PresenceState value); None: never signed in there
    reason: str | None  # the pause's reason code
    since: dt.datetime | None
    on_call: bool  # answered a call that is still going on
    calls_today: int


@dataclass
class TeamToday:
    teams: list[int] | None  # None: the whole centre
    agents: list[AgentNow]
    calls: dict[str, Any]  # figures.call_figures of today
    target: tuple[int, int] | None  # lowest and highest service-level target (percent) of the queues
    open_tickets: int
    sla_breached: int
    callbacks_due: int
    hourly: list[tuple[int, int, int]] = field(default_factory=list)  # (hour, answered, abandoned) so far


def team_today(session: Session, viewer: User, zone: str, now: dt.datetime | None = None) -> TeamToday:
    now = now or utcnow()
    teams = visibility.report_teams(session, viewer)
    f = figures.ReportFilter.of(days.Days(days.today(zone, now), days.today(zone, now), zone))
    f.scope = teams
    assert f.end is not None
    tickets = select(func.count()).select_from(Ticket).where(visibility.ticket_clause(viewer),
                                                             Ticket.status.in_(OPEN_STATUSES))
    return TeamToday(
        teams=teams, agents=agents_now(session, teams, f), calls=figures.call_figures(session, f),
        target=_target(session, teams), open_tickets=session.scalar(tickets) or 0,
        sla_breached=session.scalar(tickets.where(sla_clause("breached", now))) or 0,
        callbacks_due=session.scalar(select(func.count()).select_from(Callback).where(
            Callback.status.in_(WAITING), Callback.due_at < f.end, visibility.callback_clause(viewer))) or 0,
        hourly=_hourly(session, f, now))


def agents_now(session: Session, teams: list[int] | None, f: figures.ReportFilter) -> list[AgentNow]:
    """Everyone of ``teams`` who takes calls (None: everyone), by name."""
    query = (select(User, AgentPresence).join(AgentProfile, AgentProfile.user_id == User.id)
             .outerjoin(AgentPresence, AgentPresence.user_id == User.id).where(User.is_active))
    if teams is not None:
        query = query.where(User.team_id.in_(teams))
    rows = session.execute(query.order_by(func.coalesce(func.nullif(User.display_name, ""), User.username))).all()
    ids = [user.id for user, _ in rows]
    talking = set(session.scalars(select(Call.agent_id).where(
        Call.agent_id.in_(ids), Call.status == CallStatus.ACTIVE, Call.answered_at.is_not(None),
        Call.ended_at.is_(None))))
    calls = dict(session.execute(select(Call.agent_id, func.count()).where(
        Call.agent_id.in_(ids), Call.started_at >= f.start, Call.started_at < f.end)
        .group_by(Call.agent_id)).tuples().all())
    return [AgentNow(user.id, user.display_name or user.username, desk.state.value if desk else None,
                     desk.reason if desk else None, desk.since if desk else None,
                     user.id in talking or bool(desk and desk.state is PresenceState.ON_CALL), calls.get(user.id, 0))
            for user, desk in rows]


def _target(session: Session, teams: list[int] | None) -> tuple[int, int] | None:
    query = select(func.min(Queue.service_level_target), func.max(Queue.service_level_target))
    if teams is not None:
        query = query.where(Queue.id.in_(visibility.team_queues(teams)))
    low, high = session.execute(query).one()
    return None if low is None else (int(low), int(high))


def _hourly(session: Session, f: figures.ReportFilter, now: dt.datetime) -> list[tuple[int, int, int]]:
    """Answered and abandoned calls in each hour of today so far, in the centre's time zone."""
    zone = ZoneInfo(f.timezone)
    hours = {h: [0, 0] for h in range(now.astimezone(zone).hour + 1)}
    rows = session.execute(f.calls(select(Call.started_at, Call.disposition).where(
        Call.disposition.in_((Disposition.ANSWERED, Disposition.ABANDONED_QUEUE)))))
    for started, disposition in rows:
        hour = started.astimezone(zone).hour
        hours.setdefault(hour, [0, 0])[0 if disposition is Disposition.ANSWERED else 1] += 1
    return [(h, a, b) for h, (a, b) in sorted(hours.items())]
