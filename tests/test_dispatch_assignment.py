"""Assignment rules over many agent/ticket mixes (pure: no database)."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.config import AssignmentRules
from callcenter.dispatch.assignment import AgentState, Engine, Snapshot, TicketNeeds

NOW = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC)
SKILLS = [1, 2, 3, 4]
LANGS = ["en", "zh"]

agents_st = st.lists(st.builds(
    AgentState,
    user_id=st.integers(1, 10_000),
    name=st.just("a"),
    skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3),
    languages=st.frozensets(st.sampled_from(LANGS), min_size=1),
    seniority=st.integers(1, 5),
    capacity=st.integers(1, 10),
    load=st.floats(0, 20),
    open_count=st.integers(0, 10),
    on_call=st.booleans(),
    urgent_streak=st.integers(0, 5),
    last_urgent_at=st.sampled_from([None, NOW - dt.timedelta(minutes=5), NOW - dt.timedelta(hours=3)]),
    team_id=st.sampled_from([None, 7]),
), min_size=1, max_size=30, unique_by=lambda a: a.user_id)

needs_st = st.builds(
    TicketNeeds,
    ticket_id=st.just(1),
    skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=2),
    language=st.sampled_from([None, "en", "zh"]),
    priority=st.sampled_from(["low", "normal", "high", "urgent"]),
    vip=st.sampled_from(["none", "gold"]),
)


def skilled(agent: AgentState, needs: TicketNeeds) -> bool:
    return (all(agent.skills.get(s, 0) >= lvl for s, lvl in needs.skills.items())
            and (needs.language is None or needs.language in agent.languages)
            and agent.open_count < agent.capacity)


@settings(max_examples=400, deadline=None)
@given(agents_st, needs_st)
def test_never_an_unskilled_agent_while_a_skilled_one_is_free(agents: list[AgentState], needs: TicketNeeds) -> None:
    engine = Engine(AssignmentRules(fallback_team="helpdesk"))
    snap = Snapshot({a.user_id: a for a in agents}, fallback_team_id=7, supervisor_id=99_999)
    decision = engine.decide(snap, needs, NOW)
    able = [a for a in agents if skilled(a, needs)]
    if able:
        assert decision.route == "matched"
        assert decision.agent_id in {a.user_id for a in able}
        assert skilled(snap.agents[decision.agent_id], needs)
    else:
        assert decision.route in ("fallback_team", "supervisor")
    assert decision.explanation


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 12), st.integers(1, 200), st.sampled_from(["low", "normal", "high"]))
def test_load_stays_balanced(n_agents: int, n_tickets: int, priority: str) -> None:
    engine = Engine(AssignmentRules())
    snap = Snapshot({i: AgentState(i, f"a{i}", skills={1: 2}, languages=frozenset({"en"}), capacity=1000)
                     for i in range(1, n_agents + 1)})
    for t in range(n_tickets):
        needs = TicketNeeds(t, skills={1: 1}, language="en", priority=priority)
        engine.commit(snap, needs, engine.decide(snap, needs, NOW), NOW)
    counts = [a.open_count for a in snap.agents.values()]
    assert max(counts) - min(counts) <= 1
    assert sum(counts) == n_tickets


def test_load_weights_priority_and_being_on_a_call() -> None:
    engine = Engine(AssignmentRules())
    snap = Snapshot({
        1: AgentState(1, "busy-urgent", load=6.0, open_count=2),  # two urgent tickets
        2: AgentState(2, "on-call", load=1.0, open_count=1, on_call=True),
        3: AgentState(3, "four-low", load=2.0, open_count=4),
    })
    decision = engine.decide(snap, TicketNeeds(1), NOW)
    assert decision.agent_id == 3  # 2.0 < 1.0 + on-call 2.0 (tie broken by...) < 6.0
    snap.agents[3].load = 3.5
    assert engine.decide(snap, TicketNeeds(1), NOW).agent_id == 2


def test_vip_and_urgent_go_to_senior_agents_first() -> None:
    engine = Engine(AssignmentRules(senior_min_seniority=4))
    snap = Snapshot({1: AgentState(1, "junior", seniority=1), 2: AgentState(2, "senior", seniority=5, load=5.0)})
    assert engine.decide(snap, TicketNeeds(1, vip="gold"), NOW).agent_id == 2
    assert engine.decide(snap, TicketNeeds(1, priority="urgent"), NOW).agent_id == 2
    normal = engine.decide(snap, TicketNeeds(1), NOW)
    assert normal.agent_id == 1 and "senior" not in normal.explanation
    assert "senior first" in engine.decide(snap, TicketNeeds(1, vip="platinum"), NOW).explanation


def test_urgent_streak_earns_a_pause_from_urgent_tickets() -> None:
    engine = Engine(AssignmentRules(urgent_streak_limit=3, urgent_pause_minutes=30, senior_priorities=[]))
    snap = Snapshot({1: AgentState(1, "hero"), 2: AgentState(2, "other", load=10.0)})
    for t in range(3):
        needs = TicketNeeds(t, priority="urgent")
        d = engine.decide(snap, needs, NOW)
        assert d.agent_id == 1
        engine.commit(snap, needs, d, NOW)
    assert snap.agents[1].urgent_streak == 3
    paused = engine.decide(snap, TicketNeeds(9, priority="urgent"), NOW + dt.timedelta(minutes=1))
    assert paused.agent_id == 2 and "urgent streak" in paused.explanation
    # Normal work still comes to the hero (load 9 < 10) ...
    assert engine.decide(snap, TicketNeeds(10), NOW + dt.timedelta(minutes=1)).agent_id == 1
    # ... and urgent work again once the pause is over.
    assert engine.decide(snap, TicketNeeds(11, priority="urgent"), NOW + dt.timedelta(minutes=31)).agent_id == 1
    # A non-urgent ticket ends the streak.
    engine.commit(snap, TicketNeeds(12), engine.decide(snap, TicketNeeds(12), NOW), NOW)
    assert snap.agents[1].urgent_streak == 0


def test_nobody_matches_fallback_team_then_supervisor_then_unassigned() -> None:
    engine = Engine(AssignmentRules())
    agents = {1: AgentState(1, "billing", skills={2: 3}), 2: AgentState(2, "helpdesk", team_id=7)}
    needs = TicketNeeds(1, skills={5: 1}, skill_names={5: "japanese-support"})
    d = engine.decide(Snapshot(agents, fallback_team_id=7, supervisor_id=50), needs, NOW)
    assert (d.agent_id, d.route) == (2, "fallback_team")
    assert "japanese-support>=1" in d.explanation
    agents[2].open_count = agents[2].capacity
    d = engine.decide(Snapshot(agents, fallback_team_id=7, supervisor_id=50), needs, NOW)
    assert (d.agent_id, d.route) == (50, "supervisor")
    d = engine.decide(Snapshot(agents), needs, NOW)
    assert (d.agent_id, d.route) == (None, "unassigned")


def test_explanation_says_why() -> None:
    engine = Engine(AssignmentRules())
    snap = Snapshot({3: AgentState(3, "Li Wei", skills={2: 4}, languages=frozenset({"zh"}), load=1.0)})
    d = engine.decide(snap, TicketNeeds(1, skills={2: 2}, language="zh", skill_names={2: "billing"}), NOW)
    assert d.explanation.startswith("Li Wei (#3)")
    assert "billing>=2 (has 4)" in d.explanation and "speaks zh" in d.explanation
    assert "lowest of 1 matching" in d.explanation


def test_language_rule_can_be_relaxed() -> None:
    snap = Snapshot({1: AgentState(1, "en-only", languages=frozenset({"en"}))})
    needs = TicketNeeds(1, language="zh")
    assert Engine(AssignmentRules()).decide(snap, needs, NOW).route == "unassigned"
    assert Engine(AssignmentRules(require_language=False)).decide(snap, needs, NOW).agent_id == 1
