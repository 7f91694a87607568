"""The first-run checklist an admin sees until the centre can take a call: each step is true in the database.

Nothing is stored: every step is worked out again on each view, so it
ticks itself off as soon as the thing is done (and unticks if it is undone):

1. agents: at least one active agent (added one by one, or imported);
2. phones: every active agent has a phone, a desk phone's SIP interface or a
   browser softphone extension (without one, no call can pop their desk);
3. team: a team with a lead (its supervisor) and at least one agent in it;
4. test call: a call into the centre answered by an agent (the lab PBX and
   two SIPp phones are enough: ``LAB_COMMANDS``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import AgentProfile, Call, Disposition, Role, Team, User

# The lab's SIPp scenarios, from a source checkout (where ``make run`` runs).
_SCENARIOS = Path(__file__).resolve().parents[2] / "tests" / "sipp"
SCENARIOS = str(_SCENARIOS) if _SCENARIOS.is_dir() else "tests/sipp"
# An agent phone answering as agent1001 (port 5091) and a caller dialling the main line 100 (README, "The lab
# PBX"); each streams a WAV from its working directory, which sox makes.
LAB_COMMANDS = (
    "mkdir -p /tmp/cc-test-call && cd /tmp/cc-test-call",
    "sox -n -r 8000 -c 1 -e mu-law agent.wav synth 20 sine 440 && cp agent.wav caller.wav",
    f"sipp -sf {SCENARIOS}/agent.xml -i 127.0.0.1 -p 5091 -mi 127.0.0.1 -mp 16110 -m 1 -d 5000 -nostdin &",
    f"sipp -sf {SCENARIOS}/caller.xml -s 100 127.0.0.1:5060 -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -mp 16000 "
    "-m 1 -nostdin -key caller 15551230001",
)
LAB_PHONE = "PJSIP/agent1001"  # the desk phone the agent SIPp answers as
SHOWN = 5  # names listed under a step that is not done


@dataclass(frozen=True)
class Step:
    key: str  # agents, phones, team, test_call
    done: bool
    count: int = 0  # how many there are (agents, agents with a phone, teams, calls answered)
    missing: list[str] = field(default_factory=list)  # who or what is still missing (a few names)


def steps(session: Session) -> list[Step]:
    return [_agents(session), _phones(session), _team(session), _test_call(session)]


def is_set_up(found: list[Step]) -> bool:
    return all(s.done for s in found)


def _agents(session: Session) -> Step:
    n = session.scalar(select(func.count()).select_from(User).where(User.role == Role.AGENT, User.is_active)) or 0
    return Step("agents", n > 0, n)


def _phones(session: Session) -> Step:
    rows = session.execute(select(User.username, AgentProfile.sip_interface, AgentProfile.extension)
                           .outerjoin(AgentProfile, AgentProfile.user_id == User.id)
                           .where(User.role == Role.AGENT, User.is_active).order_by(User.username)).all()
    without = [name for name, interface, extension in rows if not interface and not extension]
    return Step("phones", bool(rows) and not without, len(rows) - len(without), without[:SHOWN])


def _team(session: Session) -> Step:
    agents = select(User.team_id).where(User.role == Role.AGENT, User.is_active, User.team_id.is_not(None))
    ready = session.scalar(select(func.count()).select_from(Team).where(
        Team.supervisor_id.is_not(None), Team.id.in_(agents))) or 0
    unfinished = session.scalars(select(Team.name).where(
        or_(Team.supervisor_id.is_(None), Team.id.not_in(agents))).order_by(Team.name).limit(SHOWN)).all()
    return Step("team", ready > 0, ready, list(unfinished))


def _test_call(session: Session) -> Step:
    answered = session.scalar(select(func.count()).select_from(Call).where(
        Call.disposition == Disposition.ANSWERED, Call.agent_id.is_not(None))) or 0
    return Step("test_call", answered > 0, answered)
