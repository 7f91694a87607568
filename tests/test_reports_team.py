"""Finding 5 of the walk: a team's figures count its queues' abandoned calls, so a supervisor's default
view shows the abandonment the centre shows for the team's queue (not 0.0 %).

The team's queues: set to the team, or set to no team and served by a member; a queue set to another
team stays that team's.  Calls recorded before the bridge knew their queue carry only its name.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from callcenter.access import visibility
from callcenter.db import transaction
from callcenter.models import AgentProfile, AgentQueue, Call, Disposition, Queue, Team, User
from callcenter.reporting import figures
from tests.support.rows import row

from .webtools import make_user, sign_in

MON = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
DAY = "from=2026-11-23&to=2026-11-23"


@dataclass
class World:
    teal: int  # team of ann (agent) and sue (its supervisor)
    umber: int  # team of bob (agent), supervised by uma
    support: int  # no team set; ann serves it: teal's
    sales: int  # no team set; bob serves it: umber's
    billing: int  # set to umber; ann helps out there: still umber's
    calls: dict[str, int]


def _serve(s, user_id: int, *queues: Queue) -> None:
    profile = s.scalar(select(AgentProfile).where(AgentProfile.user_id == user_id))
    for q in queues:
        s.add(AgentQueue(agent_id=profile.id, queue_id=q.id))


@pytest.fixture
def world(session_factory) -> World:
    ids = {name: make_user(session_factory, name, role) for name, role in
           (("ann", "agent"), ("bob", "agent"), ("sue", "supervisor"), ("uma", "supervisor"), ("ada", "admin"))}
    with transaction(session_factory) as s:
        teal, umber = Team(name="Teal", supervisor_id=ids["sue"]), Team(name="Umber", supervisor_id=ids["uma"])
        s.add_all([teal, umber])
        s.flush()
        for name, team in (("ann", teal), ("sue", teal), ("bob", umber), ("uma", umber)):
            row(s, User, ids[name]).team_id = team.id
        support, sales = Queue(name="support", service_level_seconds=20), Queue(name="sales")
        billing = Queue(name="billing", team_id=umber.id)
        s.add_all([support, sales, billing])
        s.flush()
        _serve(s, ids["ann"], support, billing)
        _serve(s, ids["bob"], sales)
        calls: dict[str, int] = {}

        def call(key: str, queue: Queue, disposition: Disposition, wait: float, agent: str | None = None,
                 by_name_only: bool = False) -> None:
            c = Call(pbx="lab", linkedid=f"t.{key}", started_at=MON, disposition=disposition, wait_seconds=wait,
                     queue_name=queue.name, queue_id=None if by_name_only else queue.id,
                     agent_id=ids[agent] if agent else None)
            s.add(c)
            s.flush()
            calls[key] = c.id

        call("s1", support, Disposition.ANSWERED, 10, "ann")
        call("s2", support, Disposition.ANSWERED, 30, "ann")
        call("s3", support, Disposition.ABANDONED_QUEUE, 40)
        call("s4", support, Disposition.ABANDONED_QUEUE, 70, by_name_only=True)
        call("s5", support, Disposition.CALLBACK_REQUESTED, 50, by_name_only=True)
        call("a1", sales, Disposition.ANSWERED, 5, "bob")
        call("a2", sales, Disposition.ABANDONED_QUEUE, 15)
        call("b1", billing, Disposition.ANSWERED, 8, "ann")
        call("b2", billing, Disposition.ABANDONED_QUEUE, 25)
        return World(teal.id, umber.id, support.id, sales.id, billing.id, calls)


def _period(**kw) -> figures.ReportFilter:
    return figures.ReportFilter(start=MON - dt.timedelta(hours=1), end=MON + dt.timedelta(hours=1), **kw)


def test_the_team_counts_its_queues_abandoned_calls(session_factory, world) -> None:
    with session_factory() as s:
        centre_support = figures.call_figures(s, _period(queue_ids=[world.support]))
        teal_support = figures.call_figures(s, _period(queue_ids=[world.support], team_id=world.teal))
        teal = figures.call_figures(s, _period(team_id=world.teal))
        umber = figures.call_figures(s, _period(team_id=world.umber))
    # support: s1..s5 offered (s4 and s5 known by name only), s3 and s4 abandoned.
    assert (centre_support["offered"], centre_support["abandoned_queue"]) == (5, 2)
    assert centre_support["abandonment_rate"] == 0.4
    assert teal_support["abandonment_rate"] == centre_support["abandonment_rate"]
    # service level: s1 within 20 s / (2 answered + 2 abandoned)
    assert teal_support["service_level"] == centre_support["service_level"] == 0.25
    # Teal: support's five, plus b1 that ann answered in billing (billing is Umber's: b2 is not Teal's).
    assert (teal["offered"], teal["answered"], teal["abandoned_queue"]) == (6, 3, 2)
    assert teal["abandonment_rate"] == round(2 / 6, 4)
    # Umber: sales (no team, bob serves it) and billing (set to Umber): a1, a2, b1, b2.
    assert (umber["offered"], umber["answered"], umber["abandoned_queue"]) == (4, 2, 2)
    assert umber["abandonment_rate"] == 0.5


def test_supervisors_see_their_teams_abandoned_calls_and_no_others(session_factory, world) -> None:
    with session_factory() as s:
        def visible(name: str) -> set[str]:
            who = s.scalar(select(User).where(User.username == name))
            found = set(s.scalars(select(Call.id).where(visibility.call_clause(who))))
            return {key for key, call_id in world.calls.items() if call_id in found}

        assert visible("sue") == {"s1", "s2", "s3", "s4", "s5", "b1"}
        assert visible("uma") == {"a1", "a2", "b1", "b2"}


def test_the_supervisors_default_report_shows_the_abandonment(app, world) -> None:
    client = app.test_client()
    sign_in(client, "sue")
    html = client.get(f"/reports/?{DAY}").get_data(as_text=True)  # her own team, by default
    assert '<div class="num">33.3 %</div><div>Abandonment</div>' in html  # not 0.0 %
    assert "the queues set to no team that its members serve" in html  # the definition is on the page
    admin = app.test_client()
    sign_in(admin, "ada")
    centre = admin.get(f"/reports/?{DAY}&queue={world.support}").get_data(as_text=True)
    assert '<div class="num">40.0 %</div><div>Abandonment</div>' in centre
