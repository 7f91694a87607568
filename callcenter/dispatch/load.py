"""Agent snapshots for the assignment engine: the database plus who is on a call.

Skills, languages, seniority and open tickets come from the database; whether
an agent is on a call right now comes from the AMI bridge's bus events, kept
in ``LiveAgents`` (one subscription table, like wazo-calld's bus_consume).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..bus import Bus, Message, Unsubscribe
from ..config import AssignmentRules, PresenceSettings
from ..customers.segments import Segments
from ..events import AgentStateChanged, CallAnswered, CallEnded
from ..models import (
    OPEN_STATUSES,
    AgentProfile,
    Customer,
    Queue,
    Role,
    Skill,
    Team,
    Ticket,
    TicketChange,
    User,
)
from ..presence.eligibility import presence_by_agent, takes_tickets
from .assignment import AgentState, Snapshot, TicketNeeds

log = logging.getLogger(__name__)

# agent_state_changed states (the bridge's AgentState values) that mean "on a call".
BUSY_STATES = {"on_call", "ringing"}
FREE_STATE = "available"


class LiveAgents:
    """Agents' live state from the bridge's events, by interface (and user id if given).

    ``on_call`` feeds the load balance; ``free`` decides who may be reserved
    for a callback (an agent the bridge has not reported on counts as free).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.states: dict[str, str] = {}
        self.busy_users: set[int] = set()

    def subscribe(self, bus: Bus) -> list[Unsubscribe]:
        return [bus.subscribe(AgentStateChanged, self.on_agent_state_changed),
                bus.subscribe(CallAnswered, self.on_call_answered),
                bus.subscribe(CallEnded, self.on_call_ended)]

    def _set(self, interface: str | None, user_id: int | None, state: str) -> None:
        with self._lock:
            if interface:
                self.states[interface] = state
            if user_id is not None:
                (self.busy_users.add if state in BUSY_STATES else self.busy_users.discard)(user_id)

    def on_agent_state_changed(self, message: Message[AgentStateChanged]) -> None:
        ev = message.event
        self._set(ev.interface, ev.agent_id, ev.state.lower())

    def on_call_answered(self, message: Message[CallAnswered]) -> None:
        self._set(message.event.interface, message.event.agent_id, "on_call")

    def on_call_ended(self, message: Message[CallEnded]) -> None:
        self._set(message.event.interface, message.event.agent_id, FREE_STATE)

    def on_call(self, user_id: int, interface: str | None) -> bool:
        with self._lock:
            return user_id in self.busy_users or self.states.get(interface or "") in BUSY_STATES

    def free(self, user_id: int, interface: str | None) -> bool:
        with self._lock:
            return user_id not in self.busy_users and self.states.get(interface or "", FREE_STATE) == FREE_STATE


def _open_load(session: Session, weights: dict[str, float]) -> dict[int, tuple[float, int]]:
    rows = session.execute(
        select(Ticket.assignee_id, Ticket.priority, func.count())
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id, Ticket.priority))
    out: dict[int, tuple[float, int]] = {}
    for user_id, priority, count in rows:
        load, n = out.get(user_id, (0.0, 0))
        out[user_id] = (load + weights.get(priority.value, 1.0) * count, n + count)
    return out


def _urgent_streaks(session: Session, since: dt.datetime) -> dict[int, tuple[int, dt.datetime]]:
    """Per agent: urgent assignments in a row (most recent ones) and the last one's time."""
    rows = session.execute(
        select(TicketChange.new_value, Ticket.priority, TicketChange.created_at)
        .join(Ticket, Ticket.id == TicketChange.ticket_id)
        .where(TicketChange.field == "assignee_id", TicketChange.created_at >= since)
        .order_by(TicketChange.id))
    out: dict[int, tuple[int, dt.datetime]] = {}
    for new_value, priority, at in rows:
        if not new_value or not new_value.isdigit():
            continue
        uid = int(new_value)
        if priority.value == "urgent":
            streak, _ = out.get(uid, (0, at))
            out[uid] = (streak + 1, at)
        else:
            out.pop(uid, None)
    return out


def build_snapshot(session: Session, rules: AssignmentRules, live: LiveAgents | None,
                   now: dt.datetime, presence: PresenceSettings | None = None) -> Snapshot:
    """Every active agent; those the desk says are signed out or paused without tickets are not eligible."""
    desk = presence_by_agent(session)
    presence = presence or PresenceSettings()
    weights = {k.lower(): float(v) for k, v in rules.priority_weights.items()}
    load = _open_load(session, weights)
    streaks = _urgent_streaks(session, now - dt.timedelta(minutes=max(rules.urgent_pause_minutes, 1)))
    agents: dict[int, AgentState] = {}
    profiles = session.scalars(
        select(AgentProfile).join(User).where(User.is_active.is_(True))
        .options(selectinload(AgentProfile.skills), selectinload(AgentProfile.user)))
    for p in profiles:
        user_load, n = load.get(p.user_id, (0.0, 0))
        streak, last = streaks.get(p.user_id, (0, None))
        declared = desk.get(p.user_id)
        agents[p.user_id] = AgentState(
            user_id=p.user_id, name=p.user.display_name or p.user.username,
            active=takes_tickets(declared, presence),
            presence=declared.state.value if declared else None,
            skills={s.skill_id: s.level for s in p.skills},
            languages=frozenset(p.languages or ()), seniority=p.seniority, capacity=p.capacity,
            load=user_load, open_count=n,
            on_call=bool(live and live.on_call(p.user_id, p.sip_interface)),
            urgent_streak=streak, last_urgent_at=last, team_id=p.user.team_id,
            interface=(declared.phone if declared and declared.phone else p.sip_interface))
    team = session.scalar(select(Team).where(Team.name == rules.fallback_team)) if rules.fallback_team else None
    return Snapshot(agents, fallback_team_id=team.id if team else None,
                    supervisor_id=default_supervisor(session, rules))


def default_supervisor(session: Session, rules: AssignmentRules) -> int | None:
    """The fallback team's supervisor, else the first active supervisor."""
    if rules.fallback_team:
        chief = session.scalar(select(Team.supervisor_id).where(Team.name == rules.fallback_team))
        if chief:
            return chief
    return session.scalar(select(User.id).where(User.role == Role.SUPERVISOR, User.is_active.is_(True))
                          .order_by(User.id))


def needs_for(session: Session, ticket: Ticket, rules: AssignmentRules,
              exclude: frozenset[int] = frozenset(), segments: Segments | None = None) -> TicketNeeds:
    """What a ticket asks of its agent: skills (ticket, queue, category, channel), language, VIP."""
    skills: dict[int, int] = {}
    if ticket.needed_skill_id:
        skills[ticket.needed_skill_id] = 1
    if ticket.queue_id:
        queue_skill = session.scalar(select(Queue.skill_id).where(Queue.id == ticket.queue_id))
        if queue_skill:
            skills.setdefault(queue_skill, 1)
    for by_name in (rules.category_skills.get(ticket.category, {}), rules.channel_skills.get(ticket.source, {})):
        if by_name:
            for sid, name in session.execute(select(Skill.id, Skill.name).where(Skill.name.in_(by_name))):
                skills[sid] = max(skills.get(sid, 0), int(by_name[name]))
    names = dict(session.execute(select(Skill.id, Skill.name).where(Skill.id.in_(list(skills)))).tuples().all()) \
        if skills else {}
    vip = "none"
    if ticket.customer_id:
        tier = session.scalar(select(Customer.vip_tier).where(Customer.id == ticket.customer_id))
        vip = tier.value if tier else "none"
    supervisor = None
    if ticket.team_id:
        supervisor = session.scalar(select(Team.supervisor_id).where(Team.id == ticket.team_id))
    senior = segments is not None and segments.of_customer(session, ticket.customer_id).senior
    return TicketNeeds(ticket_id=ticket.id, skills=skills, language=ticket.language,
                       priority=ticket.priority.value, vip=vip, exclude=exclude,
                       skill_names=names, supervisor_id=supervisor, senior=senior)
