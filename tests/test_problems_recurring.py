"""Recurring issues on SQLite and PostgreSQL: the labelled outage is one group with its words and its rise, the
other tickets stay out, and "make this a problem ticket" links the group's open tickets to a new problem."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import Ticket, TicketStatus, utcnow
from callcenter.tickets.service import TicketError
from callcenter.wiring import Container
from tests.support.parcels import OTHER, OTHER_CATEGORIES, STUCK

SUE = Actor.system("sue")


def _file(container: Container) -> tuple[list[int], list[int]]:
    now = utcnow()
    with transaction(container.session_factory) as s:
        stuck = []
        for n, (subject, description) in enumerate(STUCK):
            t = container.tickets.create(s, SUE, subject=subject, description=description, category="delivery")
            t.created_at = now - dt.timedelta(days=0 if n >= 10 else 6, hours=n % 5)  # 20 in the last days
            stuck.append(t.id)
        other = [container.tickets.create(s, SUE, subject=subject, description=description, category=category).id
                 for (subject, description), category in zip(OTHER, OTHER_CATEGORIES, strict=True)]
    return stuck, other


def test_the_outage_is_one_rising_group_and_the_others_stay_out(container: Container) -> None:
    stuck, other = _file(container)
    with container.session_factory() as s:
        groups = container.recurring.find(s)
    assert groups, "no group found"
    biggest = groups[0]
    found = {m.ticket_id for m in biggest.members}
    assert len(found & set(stuck)) >= 27 and not found & set(other)
    assert all(not (set(other) & {m.ticket_id for m in g.members}) for g in groups)
    assert {"快递", "物流"} & set(biggest.words) and biggest.category == "delivery"
    assert sum(biggest.per_day) == biggest.size and biggest.rising
    with container.session_factory() as s:  # what a viewer may not see is not grouped for them
        assert container.recurring.find(s, visible=Ticket.id.in_(other)) == []


def test_making_a_problem_links_the_groups_open_tickets(container: Container) -> None:
    stuck, _ = _file(container)
    with transaction(container.session_factory) as s:
        closed = s.get(Ticket, stuck[0])
        assert closed is not None
        closed.status = TicketStatus.CLOSED
    with container.session_factory() as s:
        group = container.recurring.find(s)[0]
    with transaction(container.session_factory) as s:
        problem = container.recurring.make_problem(s, SUE, [m.ticket_id for m in group.members], list(group.words))
        problem_id = problem.id
        assert problem.is_problem and group.words[0] in problem.subject
    with container.session_factory() as s:
        linked = set(s.scalars(select(Ticket.id).where(Ticket.problem_id == problem_id)))
        assert linked == set(group.open_ids) - {stuck[0]} and stuck[0] not in linked
    with transaction(container.session_factory) as s, pytest.raises(TicketError):
        container.recurring.make_problem(s, SUE, sorted(linked), ["again"])  # all linked already
