"""Report figures from fixture calls and tickets equal the hand-computed values."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import (
    Call,
    Callback,
    CallbackSource,
    CallbackStatus,
    Disposition,
    Queue,
    Survey,
    SurveyChannel,
    SurveyStatus,
    User,
)
from callcenter.reporting import figures as reports
from callcenter.reporting.topics import cluster
from tests.support import services
from tests.support.rows import row
from tests.support.services import TEST

from .webtools import make_user

MON = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # a Monday
M = dt.timedelta(minutes=1)


def _seed(session_factory):
    a = make_user(session_factory, "agent_a", "agent")
    b = make_user(session_factory, "agent_b", "agent")
    with transaction(session_factory) as s:
        support, sales = Queue(name="support", service_level_seconds=20), Queue(name="sales", service_level_seconds=30)
        s.add_all([support, sales])
        s.flush()

        def call(n, disp, wait=None, talk=None, queue=support, agent=None, at=MON):
            c = Call(pbx="lab", linkedid=f"r.{n}", started_at=at, disposition=disp, wait_seconds=wait,
                     talk_seconds=talk, queue_id=queue.id, agent_id=agent)
            s.add(c)
            s.flush()
            return c

        c1 = call(1, Disposition.ANSWERED, 10, 100, agent=a)
        c2 = call(2, Disposition.ANSWERED, 30, 200, agent=a)
        call(3, Disposition.ABANDONED_QUEUE, 50)
        call(4, Disposition.ABANDONED_IVR)
        call(5, Disposition.CALLBACK_REQUESTED, 40)
        c6 = call(6, Disposition.ANSWERED, 5, 300, queue=sales, agent=b, at=MON + 60 * M)
        call(7, Disposition.ANSWERED, 1, 50, at=MON + dt.timedelta(days=2))  # outside the period
        c8 = call(8, Disposition.ANSWERED, 1, 50, at=MON + dt.timedelta(days=3))  # a follow-up, later
        actor = Actor.of(row(s, User, a))
        tickets = services.tickets()
        t1 = tickets.create(s, actor, call=c1, subject="Router down no internet")
        t2 = tickets.create(s, actor, call=c2, subject="no internet since morning router red")
        t3 = tickets.create(s, actor, subject="refund for double charge")
        t4 = tickets.create(s, actor, subject="double charge on invoice want refund")
        for t, minutes in ((t1, 1), (t2, 3)):
            t.created_at, t.first_responded_at = MON, MON + minutes * M
        for t in (t3, t4):
            t.created_at = MON
        t4.origin_call_id = c6.id  # a call ticket that will be reopened
        tickets.attach_call(s, t2, c8, actor)  # t2 needed a second call
        c6.ticket_id = t4.id
        for t in (t1, t2, t4):
            tickets.change(s, t, TEST, status="resolved")
        tickets.change(s, t4, TEST, status="open")
        tickets.change(s, t4, TEST, status="resolved")
        for score, agent, call_ in ((5, a, c1), (3, a, c2), (4, b, c6)):
            s.add(Survey(channel=SurveyChannel.IVR, status=SurveyStatus.COMPLETED, score=score, agent_id=agent,
                         call_id=call_.id, completed_at=MON + 10 * M))
        s.add(Survey(channel=SurveyChannel.IVR, status=SurveyStatus.DECLINED, agent_id=a, completed_at=MON))
        for status, done_after, sla in ((CallbackStatus.REACHED, 5, 60), (CallbackStatus.REACHED, 90, 60),
                                        (CallbackStatus.FAILED, None, 60)):
            s.add(Callback(number="+12025550143", source=CallbackSource.IVR, status=status, due_at=MON,
                           sla_due_at=MON + sla * M, completed_at=MON + done_after * M if done_after else None))
    return a, b


def test_figures_match_hand_computation(session_factory) -> None:
    a, _ = _seed(session_factory)
    f = reports.ReportFilter(start=MON - dt.timedelta(hours=1), end=MON + dt.timedelta(days=1))
    with session_factory() as s:
        calls = reports.call_figures(s, f)
        assert calls["offered"] == 5 and calls["answered"] == 3 and calls["abandoned_queue"] == 1
        assert calls["abandonment_rate"] == 0.2           # 1 / 5
        assert calls["service_level"] == 0.5              # (c1, c6) / (3 answered + 1 abandoned)
        assert calls["average_handle_seconds"] == 200.0   # (100 + 200 + 300) / 3
        t = reports.ticket_figures(s, f)
        assert t["first_response_mean_seconds"] == 120.0  # (60 + 180) / 2
        assert t["first_response_p90_seconds"] == 180.0
        assert t["first_contact_resolution"] == round(1 / 3, 4)  # only t1: t2 took two calls, t4 reopened
        by_agent = {r["key"]: r for r in reports.csat(s, f, "agent")}
        assert by_agent["agent_a"]["mean"] == 4.0 and by_agent["agent_a"]["satisfied"] == 0.5
        assert by_agent["agent_b"]["mean"] == 4.0 and by_agent["agent_b"]["satisfied"] == 1.0
        by_queue = {r["key"]: r["surveys"] for r in reports.csat(s, f, "queue")}
        assert by_queue == {"sales": 1, "support": 2}
        assert reports.callbacks_kept(s, f) == {"due": 3, "kept": 1, "kept_rate": round(1 / 3, 4)}
        shanghai = reports.ReportFilter(start=f.start, end=f.end, timezone="Asia/Shanghai")
        grid = reports.volume_heatmap(s, shanghai)
        assert grid[0][17] == 5 and grid[0][18] == 1 and sum(map(sum, grid)) == 6  # 09:00 UTC = 17:00 Shanghai
        only_a = reports.ReportFilter(start=f.start, end=f.end, agent_id=a)
        assert reports.call_figures(s, only_a)["answered"] == 2


def test_topics_group_similar_issues() -> None:
    topics = cluster([(1, "Router down no internet"), (2, "no internet since morning, router red light"),
                      (3, "refund for double charge"), (4, "double charge on invoice, want refund"),
                      (5, "宽带断网了"), (6, "宽带又断网"), (7, "internet down router")])
    groups = sorted(sorted(t.examples) for t in topics)
    assert groups == [[1, 2, 7], [3, 4], [5, 6]]
    assert "internet" in topics[0].terms


def test_reports_page_and_csv(client, session_factory) -> None:
    from .webtools import sign_in

    _seed(session_factory)
    make_user(session_factory, "boss", "admin")  # the whole centre: a supervisor reads only their teams
    with transaction(session_factory) as s:
        agent_b = s.scalar(select(User).where(User.username == "agent_b"))
        assert agent_b is not None
        agent_b.display_name = '=HYPERLINK("http://evil")'
    sign_in(client, "agent_a")
    assert client.get("/reports/").status_code == 403
    client.post("/auth/logout", data={"csrf_token": ""})
    client2 = client.application.test_client()
    sign_in(client2, "boss")
    page = client2.get("/reports/?from=2026-11-23&to=2026-11-23")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "20.0 %" in html and "50.0 %" in html  # abandonment, service level
    csv_text = client2.get("/reports/export/csat_agent.csv?from=2026-11-23&to=2026-11-23").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "group,surveys,mean_score,satisfied_share"
    assert "agent_a,2,4.0,0.5" in csv_text
    assert "'=HYPERLINK" in csv_text  # a spreadsheet never sees a live formula
    topics = client2.get("/reports/export/topics.csv?from=2026-11-23&to=2026-11-23").get_data(as_text=True)
    assert topics.splitlines()[0] == "topic,tickets,examples" and len(topics.splitlines()) >= 3
    assert client2.get("/reports/export/nope.csv").status_code == 404
