"""Calls closed with "no ticket needed", counted by reason on the reports page and in its CSV."""
from __future__ import annotations

import datetime as dt

from callcenter.db import transaction
from callcenter.models import Call, Disposition, Queue
from callcenter.reporting import figures
from callcenter.reporting.outcomes import no_ticket_reasons

from .webtools import csrf_token, make_user, sign_in

MON = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
DAY = "from=2026-11-23&to=2026-11-23"


def _seed(session_factory) -> int:
    agent = make_user(session_factory, "ann", "agent")
    with transaction(session_factory) as s:
        support = Queue(name="support")
        s.add(support)
        s.flush()
        reasons = ["wrong_number", "silent_call", "wrong_number", "retired_code", None]
        for n, reason in enumerate(reasons):
            s.add(Call(pbx="lab", linkedid=f"n.{n}", started_at=MON, disposition=Disposition.ANSWERED,
                       queue_id=support.id, queue_name="support", agent_id=agent, no_ticket_reason=reason,
                       no_ticket_by_id=agent if reason else None, no_ticket_at=MON if reason else None))
        s.add(Call(pbx="lab", linkedid="n.late", started_at=MON + dt.timedelta(days=3),  # outside the day
                   disposition=Disposition.ANSWERED, no_ticket_reason="wrong_number"))
    return agent


def test_reasons_counted_with_their_labels(session_factory) -> None:
    _seed(session_factory)
    f = figures.ReportFilter(start=MON - dt.timedelta(hours=1), end=MON + dt.timedelta(hours=1))
    with session_factory() as s:
        found = no_ticket_reasons(s, f)
    assert [(r.code, r.calls) for r in found] == [("wrong_number", 2), ("retired_code", 1), ("silent_call", 1)]
    wrong = found[0]
    assert (wrong.label_in("en"), wrong.label_in("zh")) == ("Wrong number", "打错电话")
    assert found[1].label_in("zh") == "retired_code"  # no longer in the list: its code


def test_reports_page_and_csv(app, session_factory) -> None:
    _seed(session_factory)
    make_user(session_factory, "boss", "admin")
    client = app.test_client()
    sign_in(client, "boss")
    html = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    table = html[html.index('id="no-ticket"'):]
    table = table[:table.index("</section>")]
    assert "<td>Wrong number</td><td>2</td><td>50.0 %</td>" in table
    assert "<td>Silent call</td><td>1</td><td>25.0 %</td>" in table and "<td>4</td>" in table
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_token(client, "/reports/")})
    zh = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    assert "未建工单即结束的来电" in zh and "<td>打错电话</td><td>2</td>" in zh
    lines = client.get(f"/reports/export/no_ticket.csv?{DAY}").get_data(as_text=True).strip().splitlines()
    assert lines[0].strip() == "reason,code,calls"
    assert [line.strip() for line in lines[1:]] == ["打错电话,wrong_number,2", "retired_code,retired_code,1",
                                                    "无声来电,silent_call,1"]

