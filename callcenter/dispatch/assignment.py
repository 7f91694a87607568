"""Who should handle a ticket: a pure ranking over a snapshot of agents.

No database and no clock of its own, so the rules can be tested over
thousands of random agent/ticket mixes and benchmarked without I/O.  Every
decision carries the sentence that goes on the ticket, so a supervisor can
see *why* an agent got it.

Order of the rules (each configurable in ``[dispatch.assignment]``):
1. skills at the needed level, the ticket's language, free capacity;
2. urgent tickets skip agents on an urgent streak (unless nobody else fits);
3. VIP / urgent tickets go to senior agents when a senior one fits;
4. lowest load (open tickets weighted by priority, plus being on a call),
   a little credit for skill above the needed level;
5. nobody fits: the fallback team, then the supervisor.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..config import AssignmentRules
from ..i18n import N_, Message, coded, series


@dataclass
class AgentState:
    """What the dispatcher knows about one agent right now."""

    user_id: int
    name: str
    skills: dict[int, int] = field(default_factory=dict)  # skill id -> level
    languages: frozenset[str] = frozenset()
    seniority: int = 1
    capacity: int = 20
    load: float = 0.0  # open tickets weighted by priority
    open_count: int = 0
    on_call: bool = False
    urgent_streak: int = 0  # urgent assignments in a row, most recent last
    last_urgent_at: dt.datetime | None = None
    team_id: int | None = None
    active: bool = True
    interface: str | None = None  # Asterisk interface, e.g. PJSIP/agent1001
    presence: str | None = None  # the state declared at the desk (None: never signed in there)


@dataclass(frozen=True)
class TicketNeeds:
    ticket_id: int
    skills: dict[int, int] = field(default_factory=dict)  # skill id -> minimum level
    language: str | None = None
    priority: str = "normal"
    vip: str = "none"
    # e.g. the agent it is being taken from on a timeout.
    exclude: frozenset[int] = frozenset()
    skill_names: dict[int, str] = field(default_factory=dict)
    # The supervisor of the ticket's team, when it has one.
    supervisor_id: int | None = None
    # The customer is in a segment that asks for senior agents (admin › segments).
    senior: bool = False


@dataclass(frozen=True)
class Decision:
    ticket_id: int
    agent_id: int | None
    route: str  # matched | fallback_team | supervisor | unassigned
    explanation: str
    # The explanation's clauses, each said in the reader's language on the ticket page.
    why: tuple[Message, ...] = ()


def _decision(ticket_id: int, agent_id: int | None, route: str, why: list[Message]) -> Decision:
    return Decision(ticket_id, agent_id, route, "; ".join(str(m) for m in why), tuple(why))


@dataclass
class Snapshot:
    """All agents, indexed by skill so a decision looks at few of them."""

    agents: dict[int, AgentState]
    fallback_team_id: int | None = None
    supervisor_id: int | None = None
    by_skill: dict[int, list[AgentState]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self.by_skill = {}
        for agent in self.agents.values():
            for skill_id in agent.skills:
                self.by_skill.setdefault(skill_id, []).append(agent)

    def pool(self, needs: TicketNeeds) -> list[AgentState]:
        """Agents holding the rarest needed skill (all agents when none is needed)."""
        if not needs.skills:
            return list(self.agents.values())
        lists = [self.by_skill.get(s, []) for s in needs.skills]
        return min(lists, key=len)


class Engine:
    """Applies the configured rules to a snapshot; ``commit`` keeps it current."""

    def __init__(self, rules: AssignmentRules) -> None:
        self.rules = rules
        self.weights = {k.lower(): float(v) for k, v in rules.priority_weights.items()}
        self.senior_tiers = {t.lower() for t in rules.senior_tiers}
        self.senior_priorities = {p.lower() for p in rules.senior_priorities}
        self.pause = dt.timedelta(minutes=rules.urgent_pause_minutes)

    # -- the rules -----------------------------------------------------------
    def qualifies(self, agent: AgentState, needs: TicketNeeds) -> bool:
        if not agent.active or agent.user_id in needs.exclude:
            return False
        if agent.open_count >= agent.capacity:
            return False
        for skill_id, level in needs.skills.items():
            if agent.skills.get(skill_id, 0) < level:
                return False
        if self.rules.require_language and needs.language:
            return needs.language in agent.languages
        return True

    def paused(self, agent: AgentState, now: dt.datetime) -> bool:
        """Several urgent tickets in a row: no new urgent one for a while."""
        limit = self.rules.urgent_streak_limit
        if limit <= 0 or agent.urgent_streak < limit or agent.last_urgent_at is None:
            return False
        return now - agent.last_urgent_at < self.pause

    def score(self, agent: AgentState, needs: TicketNeeds) -> float:
        extra = sum(agent.skills.get(s, 0) - lvl for s, lvl in needs.skills.items())
        on_call = self.rules.on_call_load if agent.on_call else 0.0
        return agent.load + on_call - self.rules.skill_level_bonus * extra

    def wants_senior(self, needs: TicketNeeds) -> bool:
        return (needs.senior or needs.vip.lower() in self.senior_tiers
                or needs.priority.lower() in self.senior_priorities)

    # -- deciding --------------------------------------------------------------
    def decide(self, snap: Snapshot, needs: TicketNeeds, now: dt.datetime) -> Decision:
        found = [a for a in snap.pool(needs) if self.qualifies(a, needs)]
        notes: list[Message] = []
        if found and needs.priority.lower() == "urgent":
            rested = [a for a in found if not self.paused(a, now)]
            if len(rested) < len(found):
                notes.append(Message(N_("%(n)s on an urgent streak skipped"), {"n": len(found) - len(rested)})
                             if rested else Message(N_("all matching agents on an urgent streak")))
            found = rested or found
        if found and self.wants_senior(needs):
            seniors = [a for a in found if a.seniority >= self.rules.senior_min_seniority]
            notes.append(Message(N_("senior first") if seniors else N_("senior first (no senior free)")))
            found = seniors or found
        if found:
            best = min(found, key=lambda a: (self.score(a, needs), a.open_count, a.user_id))
            return _decision(needs.ticket_id, best.user_id, "matched", self._explain(best, needs, len(found), notes))
        return self._fallback(snap, needs)

    def _explain(self, agent: AgentState, needs: TicketNeeds, matched: int, notes: list[Message]) -> list[Message]:
        parts = [Message(N_("%(name)s (#%(id)s)"), {"name": agent.name, "id": agent.user_id})]
        if needs.skills:
            parts.append(Message(N_("skills %(skills)s"), {"skills": series([
                Message(N_("%(skill)s>=%(level)s (has %(has)s)"),
                        {"skill": coded("skill", needs.skill_names.get(s, s)), "level": lvl,
                         "has": agent.skills.get(s, 0)})
                for s, lvl in needs.skills.items()])}))
        if needs.language:
            parts.append(Message(N_("speaks %(language)s"), {"language": coded("language", needs.language)}))
        load = {"load": f"{agent.load:g}", "open": agent.open_count, "capacity": agent.capacity, "matched": matched}
        parts.append(Message(N_("load %(load)s + on a call, %(open)s/%(capacity)s open, lowest of %(matched)s matching")
                             if agent.on_call else
                             N_("load %(load)s, %(open)s/%(capacity)s open, lowest of %(matched)s matching"), load))
        return parts + notes

    def _wanted(self, needs: TicketNeeds) -> Message:
        skills = series([Message(N_("%(skill)s>=%(level)s"), {"skill": coded("skill", needs.skill_names.get(s, s)),
                                                             "level": lvl}) for s, lvl in needs.skills.items()]) \
            if needs.skills else None
        language = coded("language", needs.language) if needs.language and self.rules.require_language else None
        if skills and language:
            return Message(N_("no free agent with skills %(skills)s and language %(language)s"),
                           {"skills": skills, "language": language})
        if skills:
            return Message(N_("no free agent with skills %(skills)s"), {"skills": skills})
        if language:
            return Message(N_("no free agent with language %(language)s"), {"language": language})
        return Message(N_("no free agent with capacity"))

    def _fallback(self, snap: Snapshot, needs: TicketNeeds) -> Decision:
        why = self._wanted(needs)
        team = [a for a in snap.agents.values()
                if snap.fallback_team_id is not None and a.team_id == snap.fallback_team_id
                and a.active and a.user_id not in needs.exclude and a.open_count < a.capacity]
        if team:
            best = min(team, key=lambda a: (self.score(a, needs), a.open_count, a.user_id))
            return _decision(needs.ticket_id, best.user_id, "fallback_team", [why, Message(
                N_("fallback team member %(name)s (#%(id)s), load %(load)s"),
                {"name": best.name, "id": best.user_id, "load": f"{best.load:g}"})])
        supervisor = needs.supervisor_id or snap.supervisor_id
        if supervisor is not None and supervisor not in needs.exclude:
            return _decision(needs.ticket_id, supervisor, "supervisor", [
                why, Message(N_("no fallback team member free")), Message(N_("given to the supervisor"))])
        return _decision(needs.ticket_id, None, "unassigned",
                         [why, Message(N_("no supervisor")), Message(N_("left unassigned"))])

    # -- keeping the snapshot true ---------------------------------------------
    def commit(self, snap: Snapshot, needs: TicketNeeds, decision: Decision, now: dt.datetime) -> None:
        """Count the ticket on its new agent so the next decision sees the load."""
        agent = snap.agents.get(decision.agent_id) if decision.agent_id is not None else None
        if agent is None:
            return
        agent.load += self.weights.get(needs.priority.lower(), 1.0)
        agent.open_count += 1
        if needs.priority.lower() == "urgent":
            agent.urgent_streak += 1
            agent.last_urgent_at = now
        else:
            agent.urgent_streak = 0

    def release(self, snap: Snapshot, agent_id: int | None, priority: str) -> None:
        """A ticket left this agent (reassigned, resolved)."""
        agent = snap.agents.get(agent_id) if agent_id is not None else None
        if agent is None:
            return
        agent.load = max(0.0, agent.load - self.weights.get(priority.lower(), 1.0))
        agent.open_count = max(0, agent.open_count - 1)
