"""Problem and incident tickets on SQLite and PostgreSQL: linked one level deep, each side's history, audit and
event; refused where it would make no sense."""
from __future__ import annotations

import queue
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.events import TicketLinked, TicketUnlinked
from callcenter.models import AuditLog, Ticket, TicketChange, TicketStatus
from callcenter.tickets.service import TicketError
from callcenter.wiring import Container

SUE = Actor.system("sue")


def _ticket(container: Container, subject: str) -> int:
    with transaction(container.session_factory) as s:
        return container.tickets.create(s, SUE, subject=subject, category="delivery").id


def _link(container: Container, incident_id: int, target_id: int) -> int:
    with transaction(container.session_factory) as s:
        incident, target = s.get(Ticket, incident_id), s.get(Ticket, target_id)
        assert incident is not None and target is not None
        return container.problems.link(s, SUE, incident, target).id


def test_linking_makes_a_problem_with_its_incidents_and_tells_everyone(container: Container) -> None:
    got: queue.Queue[Any] = queue.Queue()
    container.bus.subscribe(TicketLinked, got.put)
    container.bus.subscribe(TicketUnlinked, got.put)
    problem_id, a, b, c = (_ticket(container, s) for s in ("中转站故障", "快递卡住", "包裹不动", "物流不更新"))
    assert _link(container, a, problem_id) == problem_id
    assert _link(container, b, problem_id) == problem_id
    assert _link(container, c, a) == problem_id  # linking to an incident links to its problem
    assert _link(container, c, problem_id) == problem_id  # again: nothing new
    events = [got.get(timeout=5) for _ in range(3)]
    assert {(e.event.ticket_id, e.event.problem_id) for e in events} == {(a, problem_id), (b, problem_id),
                                                                         (c, problem_id)}
    with pytest.raises(queue.Empty):
        got.get(timeout=0.5)
    with container.session_factory() as s:
        problem = s.get(Ticket, problem_id)
        assert problem is not None and problem.is_problem and problem.problem_id is None
        assert [t.id for t in container.problems.incidents(s, problem)] == [c, b, a]
        assert [t.id for t in container.problems.incidents(s, problem, visible=Ticket.id != b)] == [c, a]
        changes = s.execute(select(TicketChange.ticket_id, TicketChange.field, TicketChange.new_value)
                            .where(TicketChange.field.in_(("problem", "is_problem")))).all()
        assert sorted(changes) == sorted([(problem_id, "is_problem", "problem"), (a, "problem", problem.number),
                                          (b, "problem", problem.number), (c, "problem", problem.number)])
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "ticket_linked").limit(1)) is not None
    with transaction(container.session_factory) as s:
        incident = s.get(Ticket, b)
        assert incident is not None
        gone = container.problems.unlink(s, SUE, incident)
        assert gone is not None and gone.id == problem_id and incident.problem_id is None
        assert container.problems.unlink(s, SUE, incident) is None
    assert got.get(timeout=5).event == TicketUnlinked(ticket_id=b, number=events[1].event.number, actor="sue",
                                                      problem_id=problem_id, problem_number=events[0].event
                                                      .problem_number)
    with container.session_factory() as s:
        problem = s.get(Ticket, problem_id)
        assert problem is not None and container.problems.count(s, problem) == 2


def test_links_that_make_no_sense_are_refused(container: Container) -> None:
    problem_id, a, other = (_ticket(container, s) for s in ("中转站故障", "快递卡住", "另一个问题"))
    with pytest.raises(TicketError) as same:
        _link(container, a, a)
    assert same.value.code == "same_ticket"
    _link(container, a, problem_id)
    with pytest.raises(TicketError) as nested:  # a problem with incidents does not become an incident
        _link(container, problem_id, other)
    assert nested.value.code == "is_problem"
    with transaction(container.session_factory) as s:
        closed = s.get(Ticket, other)
        assert closed is not None
        container.tickets.change(s, closed, SUE, status=TicketStatus.CLOSED)
    with pytest.raises(TicketError) as shut:
        _link(container, a, other)
    assert shut.value.code == "problem_closed"
    with container.session_factory() as s:
        still = s.get(Ticket, a)
        assert still is not None and still.problem_id == problem_id
