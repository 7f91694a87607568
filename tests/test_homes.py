"""Finding 6 of the walk: each start page is built around the person's own work, and only theirs.

ann (agent, Support team) sees her open tickets by SLA, her callbacks due today, the calls she answered
today with their outcome and her pauses; sue (her supervisor) sees the team's agents now and today's
figures; sam (a supervisor without a team) is told so; quinn (QA) sees calls waiting for a review.
Nothing of bob (agent, no team) shows on their pages.  The data is written a few minutes back from now
in a time zone where it is midday, so "today" holds all of it whenever the test runs.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypeVar

import pytest
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from callcenter.calls.numbers import display
from callcenter.db import transaction
from callcenter.models import (
    AgentPresence,
    Call,
    Callback,
    CallbackSource,
    CallbackStatus,
    CallStatus,
    Disposition,
    PresenceSpan,
    PresenceState,
    QAReview,
    Queue,
    Scorecard,
    Ticket,
    TicketStatus,
    Transcript,
    User,
    utcnow,
)
from callcenter.models.transcripts import TranscriptStatus
from callcenter.reporting.my_day import pauses_today

from .deskdata import PASSWORD
from .webtools import sign_in

M = dt.timedelta(minutes=1)
T = TypeVar("T")


def noon_zone() -> str:
    """A time zone where it is now about midday (Etc/GMT-N is UTC+N)."""
    offset = 12 - dt.datetime.now(dt.UTC).hour
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@dataclass
class World:
    numbers: dict[str, str]  # ticket numbers by subject


def _one(s: Session, query: Select[tuple[T]]) -> T:
    found = s.scalar(query)
    assert found is not None
    return found


@pytest.fixture
def home_app(container, shop):
    container.settings.timezone = noon_zone()
    from web import create_app

    return create_app(container=container, test_config={"TESTING": True})


@pytest.fixture
def world(container, shop) -> World:
    return seed_day(container.session_factory, shop)


def seed_day(session_factory, shop) -> World:
    """The shop's people at work today: tickets, callbacks, calls, pauses, transcripts (see the module)."""
    u, now = shop.users, utcnow()  # fresh: an open pause is counted up to the moment the page is built
    with transaction(session_factory) as s:
        support = _one(s, select(Queue).where(Queue.name == "support"))
        sales = _one(s, select(Queue).where(Queue.name == "sales"))
        t1 = _one(s, select(Ticket).where(Ticket.number == shop.ticket_number))
        fire = Ticket(subject="Server on fire", status=TicketStatus.OPEN, assignee_id=u["ann"], queue_id=support.id,
                      customer_id=shop.customer_id, resolution_due_at=now - 5 * M)
        old = Ticket(subject="Old printer", status=TicketStatus.CLOSED, assignee_id=u["ann"])
        s.add_all([fire, old])
        s.flush()
        fire.number, old.number = f"90000{fire.id:02d}", f"90000{old.id:02d}"

        def callback(number: str, due: dt.datetime, queue: Queue, **kw) -> None:
            s.add(Callback(number=number, source=CallbackSource.AGENT, due_at=due, queue_id=queue.id, **kw))

        callback("+12025550101", now + 30 * M, support, ticket_id=t1.id)
        callback("+12025550102", now - 120 * M, sales, assigned_agent_id=u["ann"])  # overdue, hers
        callback("+12025550103", now + 10 * M, sales)  # bob's queue
        callback("+12025550104", now + dt.timedelta(days=1), support)  # tomorrow
        callback("+12025550105", now - 10 * M, support, status=CallbackStatus.REACHED)  # done

        def call(name: str, agent: str | None, disposition: Disposition, wait: float, queue: Queue = support,
                 **kw) -> Call:
            c = Call(pbx="lab", linkedid=f"h.{name}", caller_name=name, caller_number="+8613800138000",
                     started_at=now - 40 * M, answered_at=now - 39 * M if agent else None, ended_at=now - 35 * M,
                     status=CallStatus.COMPLETE, disposition=disposition, wait_seconds=wait, talk_seconds=240,
                     queue_name=queue.name, queue_id=queue.id, agent_id=u[agent] if agent else None, **kw)
            s.add(c)
            s.flush()
            return c

        with_ticket = call("CALLER-T", "ann", Disposition.ANSWERED, 10, ticket_id=t1.id)
        no_ticket = call("CALLER-NT", "ann", Disposition.ANSWERED, 30, no_ticket_reason="wrong_number")
        unfinished = call("CALLER-NONE", "ann", Disposition.ANSWERED, 5)
        call("CALLER-AB", None, Disposition.ABANDONED_QUEUE, 50)
        call("CALLER-BOB", "bob", Disposition.ANSWERED, 3, queue=sales)
        call("CALLER-BOB-AB", None, Disposition.ABANDONED_QUEUE, 60, queue=sales)
        for who, state, reason, start, end in (
                ("ann", PresenceState.PAUSED, "lunch", now - 90 * M, now - 60 * M),
                ("ann", PresenceState.AVAILABLE, None, now - 60 * M, now - 10 * M),
                ("ann", PresenceState.PAUSED, "training", now - 10 * M, None),
                ("ann", PresenceState.PAUSED, "meeting", now - 25 * 60 * M, now - 24 * 60 * M),  # yesterday
                ("bob", PresenceState.PAUSED, "break", now - 50 * M, now - 20 * M)):
            s.add(PresenceSpan(user_id=u[who], state=state, reason=reason, started_at=start, ended_at=end))
        s.add(AgentPresence(user_id=u["ann"], state=PresenceState.PAUSED, reason="training", since=now - 10 * M,
                            phone="PJSIP/agent1001", queues=["support"]))
        card = Scorecard(slug="basic", title="Basic", items=[])
        s.add(card)
        s.flush()
        for c, status in ((with_ticket, TranscriptStatus.DONE), (no_ticket, TranscriptStatus.DONE),
                          (unfinished, TranscriptStatus.RUNNING)):
            s.add(Transcript(call_id=c.id, status=status, text="hello", turns=[], duration_seconds=240))
        s.add(QAReview(call_id=no_ticket.id, scorecard_id=card.id, reviewer_id=u["quinn"], agent_id=u["ann"],
                       score=90.0))
        subjects = ("Server on fire", "Router down", "New contract", "Old printer")
        return World({t: _one(s, select(Ticket.number).where(Ticket.subject == t)) or "" for t in subjects})


def _home(app, who: str) -> str:
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    resp = client.get("/")
    assert resp.status_code == 200
    html: str = resp.get_data(as_text=True)
    return html


def _section(html: str, ident: str) -> str:
    part = html[html.index(f'id="{ident}"'):]
    return part[:part.index("</section>")]


def test_the_agent_sees_her_own_work_only(home_app, world) -> None:
    html = _home(home_app, "ann")
    tickets = _section(html, "my-tickets")
    numbers = re.findall(r'<a href="/tickets/(\d+)">', tickets)
    assert numbers == [world.numbers["Server on fire"], world.numbers["Router down"]]  # the breached one first
    assert "Breached" in tickets and "王芳" in tickets and "(2)" in tickets
    assert world.numbers["New contract"] not in html and world.numbers["Old printer"] not in html
    callbacks = _section(html, "my-callbacks")
    assert display("+12025550101") in callbacks and display("+12025550102") in callbacks
    assert "Overdue" in callbacks and world.numbers["Router down"] in callbacks
    for other in ("+12025550103", "+12025550104", "+12025550105"):
        assert display(other) not in callbacks
    calls = _section(html, "my-calls")
    assert re.search(r"CALLER-T</span></td>.*?Ticket " + world.numbers["Router down"], calls, re.S)
    assert re.search(r"CALLER-NT</span></td>.*?No ticket: Wrong number", calls, re.S)
    assert re.search(r"CALLER-NONE</span></td>.*?No ticket yet", calls, re.S)
    assert "CALLER-BOB" not in calls and "CALLER-AB" not in calls and "WANG" not in calls  # not hers / not today
    assert "4 min" in calls  # talk time as a duration
    pauses = _section(html, "my-pauses")
    assert "Lunch" in pauses and "30 min" in pauses and "Training" in pauses and "Still paused" in pauses
    assert "(40 min)" in pauses and "Meeting" not in pauses and "Break" not in pauses
    assert 'id="my-state"' in html and "Paused · Training" in html and 'href="/desk/"' in html


def test_the_supervisor_sees_her_teams_agents_and_figures(home_app, world) -> None:
    html = _home(home_app, "sue")
    live = _section(html, "team-live")
    assert "<td>ann" in live and "Paused · Training" in live and 'data-since="' in live
    assert "bob" not in live
    figures = html[html.index('id="team-figures"'):html.index('id="team-live"')]
    assert '<div class="num">4</div><div>Offered to a queue</div>' in figures  # ann's three, one abandoned
    assert '<div class="num">3</div><div>Answered</div>' in figures
    assert '<div class="num">1</div><div>Abandoned · 25.0 %</div>' in figures
    assert re.search(r'class="tile below" id="service-level"><div class="num">50.0 %</div>\s*<div>Service level · '
                     r"target 80 %", figures)  # (CALLER-T, CALLER-NONE) / (3 + 1), below the target
    assert re.search(r">2</a></div><div>Open tickets", figures) and re.search(r">1</a></div><div>Past their SLA",
                                                                             figures)
    assert '<div class="num">2</div><div>Callbacks due today</div>' in figures
    assert 'id="chart-hours"' in html and "data-hours=" in html


def test_a_supervisor_without_a_team_is_told_so(home_app, world) -> None:
    html = _home(home_app, "sam")
    assert 'id="no-team"' in html and 'id="team-figures"' not in html


def test_qa_sees_the_calls_waiting_for_a_review(home_app, world) -> None:
    html = _home(home_app, "quinn")
    todo = _section(html, "to-review")
    assert len(re.findall(r'href="/qa/calls/\d+"', todo)) == 1  # reviewed and untranscribed ones are not there
    assert '<div class="num">1</div><div>Calls waiting for a review (last 7 days)</div>' in html
    assert '<div class="num">1</div><div>Reviewed by you (last 7 days)</div>' in html


def test_pauses_are_clipped_to_the_day_and_to_now(container, shop) -> None:
    from callcenter import days

    zone = "Asia/Shanghai"
    noon = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
    midnight = days.midnight(dt.date(2026, 11, 24), zone)
    with transaction(container.session_factory) as s:
        s.add_all([PresenceSpan(user_id=shop.users["ann"], state=PresenceState.PAUSED, reason="break",
                                started_at=midnight - 10 * M, ended_at=midnight + 20 * M),
                   PresenceSpan(user_id=shop.users["ann"], state=PresenceState.PAUSED, reason="lunch",
                                started_at=noon - 15 * M, ended_at=None)])
    with container.session_factory() as s:
        ann = s.get(User, shop.users["ann"])
        found = pauses_today(s, ann, days.Days(dt.date(2026, 11, 24), dt.date(2026, 11, 24), zone), noon)
    assert [(p.reason, p.seconds) for p in found] == [("break", 20 * 60), ("lunch", 15 * 60)]
