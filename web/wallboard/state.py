"""What the wallboard shows: live agent states from the bridge's events, the rest from the database
(the written channels' backlog too).

Waiting callers come from the call rows the bridge writes as calls start
(so a web process that starts late, or runs on another machine, still sees
them); agent states come from ``agent_state_changed`` events.  One snapshot
is built at most every ``TTL`` seconds and shared by every open wallboard.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter import days
from callcenter.bus import Bus, Message
from callcenter.calls.agents import phones_of
from callcenter.conversations import backlog
from callcenter.events import AgentStateChanged
from callcenter.models import (
    AgentPresence,
    AgentProfile,
    Call,
    Callback,
    CallbackStatus,
    CallStatus,
    Disposition,
    Incident,
    PhoneNotice,
    Queue,
    Ticket,
    User,
    utcnow,
)
from callcenter.problems.incidents import LIVE
from callcenter.tickets.deadlines import sla_clause, sla_state
from callcenter.transcribe import jobs

TTL = 2.0


class Wallboard:
    def __init__(self, bus: Bus, session_factory: sessionmaker[Session], timezone: str = "UTC",
                 behind_alert_minutes: float = 10.0) -> None:
        self.session_factory = session_factory
        self.timezone = timezone
        self.behind_alert = behind_alert_minutes * 60
        self._agents: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._cache: tuple[float, dict[str, Any]] | None = None
        bus.subscribe(AgentStateChanged, self.on_agent_state)

    def on_agent_state(self, message: Message[AgentStateChanged]) -> None:
        p = message.event
        if p.source == "desk":  # what agents declared is read from agent_presence with the rest
            return
        with self._lock:
            previous = self._agents.get(p.interface)
            since = previous["since"] if previous and previous["state"] == p.state else message.at
            self._agents[p.interface] = {"state": p.state, "since": since}

    def snapshot(self) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            if self._cache and now - self._cache[0] < TTL:
                return self._cache[1]
        with self.session_factory() as session:
            data = self._build(session)
        with self._lock:
            self._cache = (now, data)
        return data

    def _today(self) -> dt.datetime:
        return days.midnight(days.today(self.timezone), self.timezone)

    def _build(self, s: Session) -> dict[str, Any]:
        today, now = self._today(), utcnow()
        waiting = dict(s.execute(select(Call.queue_name, func.count()).where(
            Call.status == CallStatus.ACTIVE, Call.queued_at.is_not(None), Call.answered_at.is_(None),
            Call.ended_at.is_(None)).group_by(Call.queue_name)).tuples().all())
        oldest = dict(s.execute(select(Call.queue_name, func.min(Call.queued_at)).where(
            Call.status == CallStatus.ACTIVE, Call.queued_at.is_not(None), Call.answered_at.is_(None),
            Call.ended_at.is_(None)).group_by(Call.queue_name)).tuples().all())
        queues = []
        for q in s.scalars(select(Queue).where(Queue.is_active).order_by(Queue.name)):
            rows = dict(s.execute(select(Call.disposition, func.count()).where(
                Call.queue_name == q.name, Call.started_at >= today).group_by(Call.disposition)).tuples().all())
            within = s.scalar(select(func.count()).select_from(Call).where(
                Call.queue_name == q.name, Call.started_at >= today, Call.disposition == Disposition.ANSWERED,
                Call.wait_seconds <= q.service_level_seconds)) or 0
            answered, abandoned = rows.get(Disposition.ANSWERED, 0), rows.get(Disposition.ABANDONED_QUEUE, 0)
            counted = answered + abandoned
            # Both names: one snapshot serves every open wallboard, whatever its language.
            queues.append({"name": q.display_name or q.name,
                           "name_zh": q.display_name_zh or q.display_name or q.name, "waiting": waiting.get(q.name, 0),
                           "oldest_at": at.timestamp() if (at := oldest.get(q.name)) else None,
                           "answered": answered, "abandoned": abandoned,
                           "service_level": round(within / counted, 3) if counted else None,
                           # The queue's promise (admin › queues): the tile shows actual against it.
                           "target": q.service_level_target / 100, "target_seconds": q.service_level_seconds})
        calls_today = dict(s.execute(select(Call.agent_id, func.count()).where(
            Call.started_at >= today, Call.agent_id.is_not(None)).group_by(Call.agent_id)).tuples().all())
        tickets_today = dict(s.execute(select(Ticket.created_by_id, func.count()).where(
            Ticket.created_at >= today).group_by(Ticket.created_by_id)).tuples().all())
        with self._lock:
            live = dict(self._agents)
        declared = {row.user_id: row for row in s.scalars(select(AgentPresence))}
        agents = []
        for user, profile in s.execute(select(User, AgentProfile).join(
                AgentProfile, AgentProfile.user_id == User.id).where(User.is_active).order_by(User.username)):
            # The phone Asterisk reports on: the browser softphone or the desk phone.
            state = next((live[i] for i in reversed(phones_of(profile)) if i in live),
                         {"state": "unknown", "since": None})
            desk = declared.get(user.id)
            agents.append({"id": user.id, "name": user.display_name or user.username, "state": state["state"],
                           "since": state["since"], "calls": calls_today.get(user.id, 0),
                           "tickets": tickets_today.get(user.id, 0),
                           # What the agent declared at the desk (None: never signed in there).
                           "presence": desk.state.value if desk else None,
                           "reason": desk.reason if desk else None,
                           "presence_since": desk.since.timestamp() if desk else None,
                           "wrapup_until": desk.wrapup_until.timestamp() if desk and desk.wrapup_until else None})
        at_risk = s.scalars(select(Ticket).where(
            sla_clause("breached") | sla_clause("near")).limit(12)).all()
        pending = select(func.count()).select_from(Callback).where(Callback.status == CallbackStatus.PENDING)
        return {
            "at": now.timestamp(), "queues": queues, "agents": agents,
            "sla": [{"number": t.number, "subject": t.subject, "state": sla_state(t, now)} for t in at_risk],
            "callbacks_due": s.scalar(pending.where(Callback.due_at <= now + dt.timedelta(minutes=15),
                                                    Callback.due_at >= now)) or 0,
            "callbacks_overdue": s.scalar(pending.where(Callback.due_at < now)) or 0,
            # E-mail, web, WeChat and SMS customers whose last word is unanswered.
            "channels": backlog.waiting(s),
            # Incident mode: open incidents and the surge watch's proposals, as alerts across the top.
            "incidents": incidents(s),
            # The transcription queue's depth, and an alert when it falls behind the calls.
            "transcription": jobs.backlog(s, now) | {"alert_after": self.behind_alert},
        }


def incidents(s: Session) -> list[dict[str, Any]]:
    """Open and proposed incidents, proposals first (they ask for a decision)."""
    told = (select(PhoneNotice.incident_id, func.count().label("n"))
            .group_by(PhoneNotice.incident_id).subquery())
    rows = s.execute(select(Incident, Ticket.number, Ticket.subject, told.c.n)
                     .outerjoin(Ticket, Ticket.id == Incident.problem_id)
                     .outerjoin(told, told.c.incident_id == Incident.id)
                     .where(Incident.status.in_(LIVE)).order_by(Incident.status.desc(), Incident.id.desc()).limit(6))
    return [{"id": i.id, "status": i.status.value, "number": number, "subject": subject, "queue": i.queue_name,
             "category": i.category, "seen": i.seen, "minutes": i.window_minutes, "subscribers": n or 0}
            for i, number, subject, n in rows]
