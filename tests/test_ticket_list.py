"""Finding 6 of the walk: the ticket list opens on the open tickets, shows customer and SLA, sorts by any
column header (whitelisted) and has page numbers; the CSV export follows the same filters."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Customer, Priority, Ticket, TicketStatus, utcnow
from callcenter.tickets import queries
from callcenter.tickets.numbers import number_for

from .webtools import csrf_token, make_user, sign_in

NOW = utcnow()
ROW = re.compile(r'<td><a href="/tickets/(\d+)">')


def _add(s, subject: str, status: TicketStatus, priority: Priority = Priority.NORMAL, *, customer=None,
         assignee=None, due_minutes: int | None = None, age_minutes: int = 0) -> Ticket:
    t = Ticket(subject=subject, status=status, priority=priority, customer_id=customer, assignee_id=assignee,
               resolution_due_at=NOW + dt.timedelta(minutes=due_minutes) if due_minutes is not None else None,
               created_at=NOW - dt.timedelta(minutes=age_minutes))
    s.add(t)
    s.flush()
    t.number = number_for(t.id)
    return t


@pytest.fixture
def desk(session_factory) -> dict[str, str]:
    """Six tickets, one of each kind the list must tell apart; their numbers by subject."""
    make_user(session_factory, "ada", "admin")
    ann, zed = make_user(session_factory, "ann", "agent"), make_user(session_factory, "zed", "agent")
    with transaction(session_factory) as s:
        amy, zhou = Customer(name="Amy"), Customer(name="周杰")
        s.add_all([amy, zhou])
        s.flush()
        made = [
            _add(s, "Breached router", TicketStatus.OPEN, Priority.URGENT, customer=zhou.id, assignee=zed,
                 due_minutes=-10, age_minutes=50),
            _add(s, "Near invoice", TicketStatus.NEW, Priority.HIGH, customer=amy.id, assignee=ann, due_minutes=20,
                 age_minutes=40),
            _add(s, "Later refund", TicketStatus.OPEN, Priority.LOW, due_minutes=600, age_minutes=30),
            _add(s, "Waiting on customer", TicketStatus.PENDING, due_minutes=5, age_minutes=20),
            _add(s, "Resolved one", TicketStatus.RESOLVED, age_minutes=10, due_minutes=100),
            _add(s, "Closed one", TicketStatus.CLOSED, Priority.URGENT, age_minutes=5),
        ]
        return {t.subject: str(t.number) for t in made}


def _numbers(html: str) -> list[str]:
    return ROW.findall(html)


def _page(app, path: str) -> str:
    client = app.test_client()
    sign_in(client, "ada")
    resp = client.get(path)
    assert resp.status_code == 200
    html: str = resp.get_data(as_text=True)
    return html


def test_open_tickets_by_default_every_status_on_request(app, desk) -> None:
    html = _page(app, "/tickets/")
    shown = set(_numbers(html))
    assert shown == {desk["Breached router"], desk["Near invoice"], desk["Later refund"], desk["Waiting on customer"]}
    assert '<option value="open_all" selected>' in html
    everything = _page(app, "/tickets/?status=all")
    assert set(_numbers(everything)) == set(desk.values())
    assert '<option value="all" selected>' in everything
    assert set(_numbers(_page(app, "/tickets/?status=closed"))) == {desk["Closed one"]}


def test_the_api_keeps_every_status_by_default(app, session_factory, desk) -> None:
    from callcenter.access import scopes, tokens
    from callcenter.models import User

    from .support import services

    with transaction(session_factory) as s:
        ada = s.scalar(select(User).where(User.username == "ada"))
        assert ada is not None
        secret = tokens.mint(s, ada, services.TEST, scopes=scopes.ALL)[1]
    found = app.test_client().get("/api/v1/tickets?limit=50", headers={"Authorization": f"Bearer {secret}"})
    assert {t["number"] for t in found.get_json()["items"]} == set(desk.values())


def test_customer_and_sla_columns(app, desk) -> None:
    html = _page(app, "/tickets/?sort=number&dir=asc")
    first = html[html.index(f'/tickets/{desk["Breached router"]}"'):]
    first = first[:first.index("</tr>")]
    assert "<td>周杰</td>" in first and "Breached" in first and 'class="muted"' in first  # state and due time
    assert "<th>Category</th>" in html and ">Customer" in html and ">Updated" in html


OPEN_SORTS = [  # (sort, direction, subjects in order) over the four open tickets
    ("sla", "asc", ["Breached router", "Near invoice", "Later refund", "Waiting on customer"]),
    ("sla", "desc", ["Later refund", "Near invoice", "Breached router", "Waiting on customer"]),
    ("priority", "desc", ["Breached router", "Near invoice", "Waiting on customer", "Later refund"]),
    ("status", "asc", ["Near invoice", "Breached router", "Later refund", "Waiting on customer"]),
    ("customer", "asc", ["Near invoice", "Breached router", "Later refund", "Waiting on customer"]),
    ("customer", "desc", ["Breached router", "Near invoice", "Waiting on customer", "Later refund"]),
    ("assignee", "asc", ["Near invoice", "Breached router", "Later refund", "Waiting on customer"]),
    ("subject", "asc", ["Breached router", "Later refund", "Near invoice", "Waiting on customer"]),
    ("created", "asc", ["Breached router", "Near invoice", "Later refund", "Waiting on customer"]),
    (None, None, ["Waiting on customer", "Later refund", "Near invoice", "Breached router"]),  # newest first
    ("created; DROP TABLE tickets", "up", ["Waiting on customer", "Later refund", "Near invoice",
                                            "Breached router"]),  # not a column: the default
]


def test_sorting_by_each_column(session_factory, desk) -> None:
    """Ties (same status, no customer, no assignee) fall back to the id, in the sort's direction; empty last."""
    with session_factory() as s:
        for sort, direction, expected in OPEN_SORTS:
            query = queries.ordered(select(Ticket).where(Ticket.status.in_(
                (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING))), sort, direction)
            assert [t.subject for t in s.scalars(query)] == expected, (sort, direction)


def test_clicking_a_header_sorts_and_clicking_again_reverses(app, desk) -> None:
    html = _page(app, "/tickets/?priority=urgent&status=all")
    link = re.search(r'<a class="sort" href="([^"]+)">Priority</a>', html)
    assert link is not None
    target = link.group(1).replace("&amp;", "&")
    assert "priority=urgent" in target and "status=all" in target and "sort=priority" in target
    assert "dir=asc" in target
    sorted_html = _page(app, "/tickets/?status=all&sort=number&dir=asc")
    assert 'aria-sort="ascending"' in sorted_html and "Number ▲" in sorted_html
    again = re.search(r'<a class="sort" href="([^"]+)">Number ▲</a>', sorted_html)
    assert again is not None and "dir=desc" in again.group(1)
    numbers = _numbers(_page(app, "/tickets/?status=all&sort=number&dir=desc"))
    assert numbers == sorted(desk.values(), reverse=True)


def test_page_numbers_keep_the_filters_and_the_sort(app, session_factory, desk) -> None:
    with transaction(session_factory) as s:
        for n in range(120):
            _add(s, f"Bulk {n:03d}", TicketStatus.NEW, age_minutes=100 + n)
    html = _page(app, "/tickets/?sort=subject&dir=asc")
    assert len(_numbers(html)) == 50 and "Page 1 of 3" in html
    pages = re.findall(r'<a href="(/tickets/\?[^"]+)">(\d)</a>', html)
    assert {p for _, p in pages} == {"2", "3"}
    second = {p: url.replace("&amp;", "&") for url, p in pages}["2"]
    assert "sort=subject" in second and "dir=asc" in second and "page=2" in second
    page2 = _page(app, second)
    assert len(_numbers(page2)) == 50 and not set(_numbers(page2)) & set(_numbers(html))
    page3 = _page(app, second.replace("page=2", "page=3"))
    assert len(_numbers(page3)) == 24  # 4 open + 120 new = 124 tickets
    assert 'aria-current="page">3<' in page3


def test_export_follows_the_default_and_the_chosen_status(app, desk) -> None:
    client = app.test_client()
    sign_in(client, "ada")
    html = client.get("/tickets/").get_data(as_text=True)
    form = html[html.index('action="/tickets/export"'):]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form[:form.index("</form>")]))
    assert hidden.get("status") == "open_all"
    rows = client.post("/tickets/export", data=hidden).get_data(as_text=True).strip().splitlines()[1:]
    assert {r.split(",")[0] for r in rows} == {desk[s] for s in ("Breached router", "Near invoice", "Later refund",
                                                                 "Waiting on customer")}
    everything = client.post("/tickets/export", data={"csrf_token": csrf_token(client, "/tickets/")})
    assert len(everything.get_data(as_text=True).strip().splitlines()) == 1 + len(desk)
