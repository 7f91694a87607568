"""The channel dimension on SQLite and PostgreSQL: the report's figures per channel for a hand-made
dataset (and a team lead's share of it, page and CSV), and the wallboard's written-channel backlog."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.channels.base import Inbound, Sender
from callcenter.days import Days
from callcenter.db import transaction
from callcenter.models import Channel, Team, Ticket, TicketStatus, User, utcnow
from callcenter.reporting.channels import by_channel
from callcenter.reporting.figures import ReportFilter
from callcenter.wiring import Container
from tests.support.rows import row
from web.wallboard.state import Wallboard

from .webtools import make_user, sign_in

MON = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # a Monday
DAY = "from=2026-11-23&to=2026-11-23"
M = dt.timedelta(minutes=1)
ACTOR = Actor.system("test")


def _seed(container: Container) -> dict[str, int]:
    """Tickets of Monday by channel and team (minutes after creation: answered, first response due)."""
    ids = {name: make_user(container.session_factory, name, role)
           for name, role in (("sue", "supervisor"), ("uma", "supervisor"), ("ada", "admin"))}
    with transaction(container.session_factory) as s:
        teal, umber = Team(name="Teal", supervisor_id=ids["sue"]), Team(name="Umber", supervisor_id=ids["uma"])
        s.add_all([teal, umber])
        s.flush()
        row(s, User, ids["sue"]).team_id, row(s, User, ids["uma"]).team_id = teal.id, umber.id
        plan: list[tuple[str, Team, dt.datetime, int | None, int, TicketStatus]] = [
            ("email", teal, MON, 10, 60, TicketStatus.RESOLVED),  # within SLA
            ("email", teal, MON, 30, 20, TicketStatus.RESOLVED),  # late
            ("email", umber, MON, None, 60, TicketStatus.OPEN),  # due long ago, unanswered: missed
            ("wechat", teal, MON, 4, 15, TicketStatus.RESOLVED),
            ("wechat", teal, MON, None, 60 * 24 * 365 * 10, TicketStatus.PENDING),  # promise not decided yet
            ("phone", umber, MON, 2, 240, TicketStatus.RESOLVED),
            ("sms", teal, MON - dt.timedelta(days=10), None, 60, TicketStatus.OPEN),  # older: backlog only
            ("sms", teal, MON + dt.timedelta(days=2), None, 60, TicketStatus.OPEN),  # after the period: nowhere
        ]
        for source, team, created, answered, due, status in plan:
            t = container.tickets.create(s, ACTOR, subject=f"{source} ticket", source=source, team_id=team.id)
            container.tickets.change(s, t, ACTOR, status=status)
            t.created_at, t.first_response_due_at = created, created + due * M
            t.first_responded_at = created + answered * M if answered is not None else None
    return ids


def _figures(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {r["channel"]: (r["tickets"], r["first_response_mean_seconds"], r["sla_attainment"], r["backlog"])
            for r in rows}


def test_the_figures_per_channel_equal_the_hand_computed_ones(container) -> None:
    _seed(container)
    f = ReportFilter.of(Days(MON.date(), MON.date(), "UTC"))
    with container.session_factory() as s:
        rows = by_channel(s, f)
        assert [r["channel"] for r in rows] == ["phone", "email", "web", "wechat", "sms"]
        assert _figures(rows) == {
            "phone": (1, 120.0, 1.0, 0),
            "email": (3, 1200.0, 0.3333, 1),  # (10 + 30) / 2 min; 1 of 3 decided in time
            "web": (0, None, None, 0),
            "wechat": (2, 240.0, 1.0, 1),  # the pending one's promise is still ahead
            "sms": (0, None, None, 1),  # the ticket of ten days ago is still open
        }
        teal = s.scalars(select(Team.id).where(Team.name == "Teal")).one()
        f.team_id = teal
        assert _figures(by_channel(s, f))["email"] == (2, 1200.0, 0.5, 0)


def _csv(client, query: str) -> dict[str, list[str]]:
    got = client.get(f"/reports/export/channels.csv?{query}")
    assert got.status_code == 200, got.status_code
    table = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    assert table[0] == ["channel", "tickets", "answered", "first_response_mean_seconds", "sla_decided", "sla_met",
                        "sla_attainment", "backlog"]
    return {r[0]: r[1:] for r in table[1:]}


def test_a_team_lead_reads_their_teams_channels_only(container, app) -> None:
    _seed(container)
    lead = app.test_client()
    sign_in(lead, "sue")
    page = lead.get(f"/reports/?{DAY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="chart-channels"' in html and 'data-channel="wechat"' in html
    mine = _csv(lead, DAY)
    assert mine["email"] == ["2", "2", "1200.0", "2", "1", "0.5", "0"]
    assert mine["phone"] == ["0", "0", "", "0", "0", "", "0"]  # Umber's phone ticket is not Teal's
    # Another team's figures are refused, not silently given.
    umber = _team(container, "Umber")
    assert lead.get(f"/reports/export/channels.csv?{DAY}&team={umber}").status_code in (403, 404)
    admin = app.test_client()
    sign_in(admin, "ada")
    every = _csv(admin, DAY)
    assert every["email"][:2] == ["3", "2"] and every["phone"][0] == "1" and every["sms"][-1] == "1"


def _team(container: Container, name: str) -> int:
    with container.session_factory() as s:
        return s.scalars(select(Team.id).where(Team.name == name)).one()


def _write(container: Container, channel: Channel, key: str, sender: str, at: dt.datetime,
           thread: tuple[str, ...] = ()) -> int:
    kind = {Channel.EMAIL: "email", Channel.WECHAT: "wechat", Channel.SMS: "phone", Channel.WEB: "email"}[channel]
    inbound = Inbound(channel=channel, channel_key=key, sender=Sender(kind, sender, verified=True), body="Help",
                      subject="Help" if channel is Channel.EMAIL else "", received_at=at, thread_keys=thread)
    with transaction(container.session_factory) as s:
        return container.channel_intake.receive(s, inbound).ticket.id


def _reply(container: Container, ticket_id: int, who: int | None) -> None:
    with transaction(container.session_factory) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        actor = Actor.of(row(s, User, who)) if who is not None else Actor.system("webform")
        container.conversations.queue_outbound(s, ticket, actor, channel=Channel(ticket.source), body="On it.")


def test_the_wallboard_counts_customers_waiting_on_each_written_channel(container) -> None:
    agent = make_user(container.session_factory, "ann", "agent")
    now = utcnow()
    ago = {n: now - dt.timedelta(minutes=n) for n in (5, 20, 40, 90, 120)}
    a = _write(container, Channel.EMAIL, "<a1@x>", "a@example.com", ago[40])
    _write(container, Channel.EMAIL, "<a2@x>", "a@example.com", ago[20], ("<a1@x>",))  # twice: one wait, from 40
    b = _write(container, Channel.EMAIL, "<b1@x>", "b@example.com", ago[120])
    _reply(container, b, agent)  # answered: not waiting
    c = _write(container, Channel.EMAIL, "<c1@x>", "c@example.com", ago[90])
    _reply(container, c, agent)
    _write(container, Channel.EMAIL, "<c2@x>", "c@example.com", ago[5], ("<c1@x>",))  # wrote again: since 5
    _write(container, Channel.WECHAT, "wx-1", "oWeChatOpenId00000000000001", ago[20])
    done = _write(container, Channel.WECHAT, "wx-2", "oWeChatOpenId00000000000002", ago[120])
    with transaction(container.session_factory) as s:
        ticket = s.get(Ticket, done)
        assert ticket is not None
        container.tickets.change(s, ticket, ACTOR, status=TicketStatus.RESOLVED)  # closed work waits on nobody
    web = _write(container, Channel.WEB, "form-1", "w@example.com", ago[5])
    _reply(container, web, None)  # the form's automatic acknowledgement answers nobody
    snap = Wallboard(container.bus, container.session_factory).snapshot()
    waiting = {c["channel"]: (c["waiting"], c["oldest_at"]) for c in snap["channels"]}
    assert list(waiting) == ["email", "web", "wechat", "sms"]
    assert waiting["email"] == (2, ago[40].timestamp()) and a != c
    assert waiting["wechat"] == (1, ago[20].timestamp())
    assert waiting["web"] == (1, ago[5].timestamp())
    assert waiting["sms"] == (0, None)
