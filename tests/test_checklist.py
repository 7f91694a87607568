"""Deliver 2: the admin's first-run checklist, from an empty database, ticks each step as it becomes true
(and unticks it if it is undone); when all four are done it collapses to "Your centre is set up" above
the centre's day.  Nothing is stored: the page asks the database every time."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.db import transaction
from callcenter.models import AgentProfile, Call, CallStatus, Disposition, Team, User, utcnow
from callcenter.reporting import checklist
from tests.support.rows import row

from .webtools import make_user, sign_in


def _done(html: str) -> dict[str, bool]:
    return {key: done == "yes" for key, done in re.findall(r'id="step-(\w+)" data-done="(yes|no)"', html)}


def _home(client) -> str:
    html: str = client.get("/").get_data(as_text=True)
    return html


def _profile(s: Session, user_id: int) -> AgentProfile:
    found = s.scalar(select(AgentProfile).where(AgentProfile.user_id == user_id))
    assert found is not None
    return found


def test_each_step_ticks_itself_off(app, session_factory) -> None:
    make_user(session_factory, "admin", "admin")
    client = app.test_client()
    sign_in(client, "admin")
    html = _home(client)
    assert _done(html) == {"agents": False, "phones": False, "team": False, "test_call": False}
    assert "Set up your centre: 0 of 4 steps done" in html
    assert '<details class="card checklist" id="checklist" open>' in html
    assert 'id="team-figures"' not in html
    commands = html[html.index('id="lab-commands"'):html.index("</pre>")]
    assert "-p 5091" in commands and "-s 100 127.0.0.1:5060" in commands and "agent.xml" in commands
    assert "caller.xml" in commands and "-key caller" in commands
    assert 'href="/admin/users"' in html

    ann = make_user(session_factory, "ann", "agent")
    html = _home(client)
    assert _done(html) == {"agents": True, "phones": False, "team": False, "test_call": False}
    assert "Still without one: ann" in html

    with transaction(session_factory) as s:
        _profile(s, ann).sip_interface = checklist.LAB_PHONE
    assert _done(_home(client))["phones"] is True

    sue = make_user(session_factory, "sue", "supervisor")
    with transaction(session_factory) as s:
        s.add(Team(name="Night shift"))  # no lead, nobody in it
        team = Team(name="Support", supervisor_id=sue)
        s.add(team)
        s.flush()
        team_id = team.id
    html = _home(client)
    assert _done(html)["team"] is False and "Night shift, Support" in html
    with transaction(session_factory) as s:
        row(s, User, ann).team_id = team_id
    html = _home(client)
    assert _done(html)["team"] is True and "Night shift" in html and "3 of 4" in html

    with transaction(session_factory) as s:  # a call nobody answered does not count
        s.add(Call(pbx="lab", linkedid="x.1", started_at=utcnow(), status=CallStatus.COMPLETE,
                   disposition=Disposition.ABANDONED_QUEUE, queue_name="support"))
    assert _done(_home(client))["test_call"] is False
    with transaction(session_factory) as s:
        s.add(Call(pbx="lab", linkedid="x.2", started_at=utcnow(), status=CallStatus.COMPLETE,
                   disposition=Disposition.ANSWERED, queue_name="support", agent_id=ann))
    html = _home(client)
    assert all(_done(html).values())
    assert "<h2>Your centre is set up</h2>" in html and '<details class="card checklist" id="checklist" >' in html
    assert 'id="team-figures"' in html and "The centre today" in html

    with transaction(session_factory) as s:  # undone: a new agent without a phone
        s.add(User(username="new", role="agent", password_hash="x", agent=AgentProfile()))
    html = _home(client)
    assert _done(html)["phones"] is False and "Still without one: new" in html and "3 of 4" in html


def test_the_checklist_in_chinese(app, session_factory) -> None:
    from .webtools import csrf_token

    make_user(session_factory, "admin", "admin")
    client = app.test_client()
    sign_in(client, "admin")
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client, "/")})
    html = _home(client)
    assert "设置您的呼叫中心：已完成 0 / 4 步" in html and "向实验室拨打一通测试电话" in html
