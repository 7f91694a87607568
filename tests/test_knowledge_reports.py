"""The knowledge base's report, each figure computed by hand from seeded rows, on SQLite and PostgreSQL.

The world: the shop (ann's support team, bob in sales), the small knowledge base of ``kbdata``, and over two
days three IVR self-service calls, four auto-replies (accepted, rejected, unanswered, waiting), agents' links,
inserts and marks, and the suggestions logged for each new ticket (two tickets about a printer got none worth
showing: the knowledge gap).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from callcenter import days
from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import (
    AutoReply,
    AutoReplyState,
    Call,
    CallStatus,
    Disposition,
    LinkKind,
    Queue,
    Suggestion,
    Team,
    Ticket,
    TicketArticle,
    User,
)
from callcenter.reporting import figures
from callcenter.reporting import knowledge as report
from tests import kbdata
from tests.support import services

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

D1 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
D2 = D1 + dt.timedelta(days=1)
PERIOD = "from=2026-11-23&to=2026-11-24"
MENU = {"support": "support", "sales": "sales", "billing": "billing"}  # the default IVR menu's categories


@dataclass
class World:
    articles: dict[str, int]  # A refund, B invoice, C router, D parcel
    codes: dict[str, str]
    tickets: dict[str, str]  # t1 ... t9 -> number
    team_id: int


def _suggestion(s, context: str, article: int, at: dt.datetime, *, ticket: int | None = None,
                call: int | None = None, helpful: bool | None = None, probability: float = 0.5,
                category: str = "", rank: int = 1) -> Suggestion:
    row = Suggestion(context=context, article_id=article, at=at, ticket_id=ticket, call_id=call, helpful=helpful,
                     probability=probability, score=1.0, features=[0.5, 0.5, 1.0], category=category, rank=rank)
    s.add(row)
    s.flush()
    return row


@pytest.fixture
def world(container, shop) -> World:
    with transaction(container.session_factory) as s:
        made = kbdata.load(s, container.articles)
        art = {"A": made[0].id, "B": made[1].id, "C": made[3].id, "D": made[6].id}
        codes = {k: a.code for k, a in zip("ABCD", (made[0], made[1], made[3], made[6]), strict=True)}
        support = s.scalars(select(Queue).where(Queue.name == "support")).one()
        sales = s.scalars(select(Queue).where(Queue.name == "sales")).one()
        team_id = s.scalars(select(Team.id)).one()
        ann = s.scalars(select(User).where(User.username == "ann")).one()
        tickets = {"t1": s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one(),
                   "t2": s.scalars(select(Ticket).where(Ticket.number == shop.other_ticket_number)).one()}
        subjects = {"t3": ("Printer paper jam", support), "t4": ("Paper jam in the printer", support),
                    "t5": ("Refund question", sales), "t6": ("Charged twice", support), "t7": ("Charged twice", sales),
                    "t8": ("Invoice please", support), "t9": ("Invoice copy", support)}
        service = services.tickets()
        for key, (subject, queue) in subjects.items():
            tickets[key] = service.create(s, Actor.of(ann), subject=subject, category="support", queue_id=queue.id)
        s.flush()
        for n, ticket in enumerate(tickets.values()):
            ticket.created_at = D1 + dt.timedelta(minutes=n)
        t = {k: v.id for k, v in tickets.items()}
        # IVR: call A (no queue: solved in the IVR, category support), call B (the shop's support call, heard two
        # articles, went to an agent), call C (category sales, solved) the next day.
        call_a = Call(pbx="lab", linkedid="kb.1", started_at=D1, status=CallStatus.COMPLETE)
        call_c = Call(pbx="lab", linkedid="kb.3", started_at=D2, status=CallStatus.COMPLETE,
                      disposition=Disposition.ABANDONED_IVR)
        s.add_all([call_a, call_c])
        s.flush()
        _suggestion(s, "ivr", art["C"], D1, call=call_a.id, helpful=True, category="support")  # 1
        _suggestion(s, "ivr", art["C"], D1, call=shop.call_id)  # 2
        _suggestion(s, "ivr", art["D"], D1, call=shop.call_id, helpful=False, rank=2)  # 3
        _suggestion(s, "ivr", art["C"], D2, call=call_c.id, helpful=True, category="sales")  # 4
        # Auto-replies: t6 accepted, t7 rejected, t8 unanswered, t9 waiting.
        for n, (key, article, state, helpful, at) in enumerate((
                ("t6", "A", AutoReplyState.ACCEPTED, True, D1), ("t7", "A", AutoReplyState.REJECTED, False, D2),
                ("t8", "B", AutoReplyState.EXPIRED, False, D2), ("t9", "B", AutoReplyState.PENDING, None, D2))):
            sent = _suggestion(s, "auto_reply", art[article], at, ticket=t[key], helpful=helpful, probability=0.9)
            s.add(AutoReply(ticket_id=t[key], article_id=art[article], suggestion_id=sent.id, probability=0.9,
                            token=f"token-{n}", state=state, sent_at=at, due_at=at + dt.timedelta(hours=24)))
        # What each new ticket was offered (the gaps): t1 best 0.8 (marked not helpful), t3 and t2 nothing,
        # t4 only 0.2, t5 0.9 (marked helpful), t6-t9 0.9.
        _suggestion(s, "ticket", art["C"], D1, ticket=t["t1"], probability=0.1, rank=2)
        _suggestion(s, "ticket", art["D"], D1, ticket=t["t1"], probability=0.8, helpful=False)
        _suggestion(s, "ticket", art["B"], D1, ticket=t["t4"], probability=0.2)
        _suggestion(s, "ticket", art["A"], D1, ticket=t["t5"], probability=0.9, helpful=True)
        for key in ("t6", "t7", "t8", "t9"):
            _suggestion(s, "ticket", art["A"], D1, ticket=t[key], probability=0.9)
        # Agents at work: router article linked and inserted on t1, parcel article linked on t2.
        s.add_all([TicketArticle(ticket_id=t["t1"], article_id=art["C"], kind=LinkKind.LINKED, at=D1),
                   TicketArticle(ticket_id=t["t1"], article_id=art["C"], kind=LinkKind.INSERTED, at=D1),
                   TicketArticle(ticket_id=t["t2"], article_id=art["D"], kind=LinkKind.LINKED, at=D2),
                   # Outside the period: not counted.
                   TicketArticle(ticket_id=t["t2"], article_id=art["B"], kind=LinkKind.LINKED,
                                 at=D1 - dt.timedelta(days=3))])
        _suggestion(s, "ivr", art["C"], D1 - dt.timedelta(days=3), call=call_a.id, helpful=True)  # outside too
        numbers = {k: v.number for k, v in tickets.items()}
    return World(art, codes, numbers, team_id)  # type: ignore[arg-type]  # numbers are set once flushed


def _filter(team_id: int | None = None) -> figures.ReportFilter:
    f = figures.ReportFilter.of(days.between("2026-11-23", "2026-11-24", "UTC"))
    f.team_id = team_id
    return f


def _run(container, f: figures.ReportFilter) -> dict[str, Any]:
    with container.session_factory() as s:
        scope = report.Scope(s, f, MENU)
        return {"deflection": report.deflection(s, f, scope), "articles": report.articles(s, f, scope),
                "gaps": report.gaps(s, f, Ticket.id.is_not(None), 0.3)}


def test_deflection_per_day_and_in_total(container, world) -> None:
    d = _run(container, _filter())["deflection"]
    assert (d["ivr_offered"], d["ivr_solved"]) == (3, 2)
    assert (d["auto_offered"], d["auto_accepted"], d["auto_rejected"], d["auto_expired"], d["auto_pending"]) == \
        (4, 1, 1, 1, 1)
    assert (d["offered"], d["deflected"], d["rate"]) == (7, 3, round(3 / 7, 4))
    first, second = d["days"]
    assert first == {"day": "2026-11-23", "ivr_offered": 2, "ivr_solved": 1, "auto_offered": 1, "auto_accepted": 1,
                     "offered": 3, "deflected": 2, "rate": round(2 / 3, 4)}
    assert (second["day"], second["offered"], second["deflected"], second["rate"]) == ("2026-11-24", 4, 1, 0.25)


def test_a_teams_deflection_counts_its_queues_and_the_ivr_categories_that_lead_there(container, world) -> None:
    d = _run(container, _filter(world.team_id))["deflection"]
    # IVR: call A (category support: the support queue is the team's) and the shop's support call; not call C.
    assert (d["ivr_offered"], d["ivr_solved"]) == (2, 1)
    # Auto-replies on support tickets: t6 (accepted), t8, t9; t7 is sales.
    assert (d["auto_offered"], d["auto_accepted"], d["offered"], d["deflected"], d["rate"]) == (3, 1, 5, 2, 0.4)


def test_top_articles_and_their_helpful_rate(container, world) -> None:
    top = _run(container, _filter())["articles"]["top"]
    codes = {v: k for k, v in world.codes.items()}
    assert [codes[r["code"]] for r in top] == ["A", "C", "B", "D"]
    got = {codes[r["code"]]: (r["suggested"], r["linked"], r["inserted"], r["accepted"], r["marks"], r["helpful_rate"])
           for r in top}
    assert got == {"A": (7, 0, 0, 1, 3, round(2 / 3, 4)), "C": (4, 1, 1, 2, 2, 1.0), "B": (3, 0, 0, 0, 1, 0.0),
                   "D": (2, 1, 0, 0, 2, 0.0)}
    assert top[0]["title"] == "Get a refund for a double charge"
    with container.session_factory() as s:
        f = _filter()
        zh = report.articles(s, f, report.Scope(s, f, MENU), "zh")["top"]
    assert zh[0]["title"] == "重复扣费退款"
    team = {codes[r["code"]]: (r["suggested"], r["linked"], r["accepted"])
            for r in _run(container, _filter(world.team_id))["articles"]["top"]}
    assert team == {"A": (4, 0, 1), "C": (3, 1, 1), "B": (3, 0, 0), "D": (2, 0, 0)}


def test_articles_often_rejected_count_each_refusal_once(container, world) -> None:
    rejected = _run(container, _filter())["articles"]["rejected"]
    codes = {v: k for k, v in world.codes.items()}
    got = [(codes[r["code"]], r["auto_rejected"], r["auto_expired"], r["not_helpful"], r["refused"], r["judged"],
            r["rate"]) for r in rejected]
    # D: two "not helpful" marks (IVR, desk); B: one unanswered auto-reply (its own "not helpful" label is the
    # same refusal); A: one rejected auto-reply of three judged (accepted, rejected, a desk "helpful").
    assert got == [("D", 0, 0, 2, 2, 2, 1.0), ("B", 0, 1, 0, 1, 1, 1.0), ("A", 1, 0, 0, 1, 3, round(1 / 3, 4))]


def test_knowledge_gaps_are_tickets_with_no_good_suggestion_grouped_by_their_words(container, world) -> None:
    g = _run(container, _filter())["gaps"]
    assert (g["tickets"], g["gaps"], g["none"], g["low"], g["share"]) == (9, 3, 2, 1, round(3 / 9, 4))
    numbers = {r["number"]: r["best"] for r in g["rows"]}
    assert numbers == {world.tickets["t2"]: None, world.tickets["t3"]: None, world.tickets["t4"]: 0.2}
    printer = next(t for t in g["topics"] if "printer" in t["label"])
    assert printer["size"] == 2 and set(printer["examples"]) == {world.tickets["t3"], world.tickets["t4"]}
    team = _run(container, _filter(world.team_id))["gaps"]
    assert (team["tickets"], team["gaps"]) == (6, 2)  # t2 (bob), t5 and t7 (sales) are not the team's
    with container.session_factory() as s:
        hidden = report.gaps(s, _filter(), Ticket.number != world.tickets["t3"], 0.3)
        higher = report.gaps(s, _filter(), Ticket.id.is_not(None), 0.85)
    assert hidden["gaps"] == 3 and hidden["restricted"] == 1
    assert world.tickets["t3"] not in {r["number"] for r in hidden["rows"]}
    assert higher["gaps"] == 4  # t1's best, 0.8, is a gap below 0.85


def test_the_report_page_and_its_csv(app, container, world) -> None:
    client = app.test_client()
    sign_in(client, "quinn", PASSWORD)
    page = client.get(f"/reports/knowledge?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="deflection-rate">42.9 %' in html and 'id="gap-count">3 / 9' in html
    assert f'data-code="{world.codes["A"]}"' in html and 'id="chart-deflection"' in html
    assert world.tickets["t3"] in html and "printer" in html
    got = client.get(f"/reports/knowledge/export/deflection.csv?{PERIOD}")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    assert table[0][:3] == ["day", "ivr_offered", "ivr_solved"] and table[1][:3] == ["2026-11-23", "2", "1"]
    top = list(csv.reader(io.StringIO(client.get(f"/reports/knowledge/export/top.csv?{PERIOD}").get_data(
        as_text=True))))
    assert [r[0] for r in top[1:]] == [world.codes[k] for k in "ACBD"]
    gaps = list(csv.reader(io.StringIO(client.get(f"/reports/knowledge/export/gaps.csv?{PERIOD}").get_data(
        as_text=True))))
    assert sorted(r[0] for r in gaps[1:]) == sorted(world.tickets[k] for k in ("t2", "t3", "t4"))
    # A supervisor starts on their own team; in Chinese.
    sue = app.test_client()
    sign_in(sue, "sue", PASSWORD)
    sue.post("/language", data={"lang": "zh", "csrf_token": csrf_token(sue, "/")})
    mine = sue.get(f"/reports/knowledge?{PERIOD}").get_data(as_text=True)
    assert "知识库报表" in mine and 'id="deflected">2 / 5' in mine and "重复扣费退款" in mine


def test_an_empty_period_says_so(app, world) -> None:
    client = app.test_client()
    sign_in(client, "ada", PASSWORD)
    html = client.get("/reports/knowledge?from=2025-01-01&to=2025-01-02").get_data(as_text=True)
    assert "No answer was offered in this period" in html and "No tickets in this period." in html
    assert "No article was suggested, linked or inserted in this period." in html
