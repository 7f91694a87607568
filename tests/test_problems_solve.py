"""Solving a problem on SQLite and PostgreSQL: 30 customers each told once on their own channel (e-mail,
WeChat, SMS for callers), never the internal notes; 30 incidents resolved, each with its history row and event;
the job run again tells nobody twice."""
from __future__ import annotations

import queue
from typing import Any

import pytest
from sqlalchemy import func, select, update

from callcenter.access.audit import Actor
from callcenter.background.worker import BackgroundWorker, Work
from callcenter.db import transaction
from callcenter.events import TicketUpdated
from callcenter.models import (
    AuditLog,
    BackgroundJob,
    Channel,
    Customer,
    CustomerIdentity,
    CustomerPhone,
    IdentityKind,
    JobStatus,
    Message,
    MessageDirection,
    Ticket,
    TicketChange,
    TicketStatus,
    User,
    utcnow,
)
from callcenter.problems import solving
from callcenter.tickets.service import TicketError
from callcenter.wiring import Container

from .support.parcels import STUCK

SECRET = "内部备注：仓库断电，勿告知客户"


def _sue(s: Any) -> Actor:
    user = s.scalar(select(User).where(User.username == "sue"))
    return Actor.of(user)


@pytest.fixture
def outage(container: Container, shop) -> dict[str, Any]:
    """A problem ticket and 30 incidents: ten customers by e-mail, ten on WeChat, ten callers with a phone."""
    made: dict[str, Any] = {"incidents": {}, "problem": 0}
    with transaction(container.session_factory) as s:
        sue = _sue(s)
        problem = container.tickets.create(s, sue, subject="广州中转站停运", description="中转站断电",
                                           category="delivery")
        s.flush()
        container.tickets.add_note(s, problem, SECRET, sue)
        for i, (subject, description) in enumerate(STUCK):
            customer = Customer(name=f"客户{i:02d}", language="zh")
            kind = ("email", "wechat", "sms")[i % 3]
            if kind == "email":
                customer.identities = [CustomerIdentity(kind=IdentityKind.EMAIL, value=f"c{i}@example.com")]
            elif kind == "wechat":
                customer.identities = [CustomerIdentity(kind=IdentityKind.WECHAT, value=f"oOpenId{i:04d}")]
            else:
                customer.phones = [CustomerPhone(number=f"+861380013{i:04d}")]
            s.add(customer)
            s.flush()
            ticket = container.tickets.create(s, sue, subject=subject, description=description, category="delivery",
                                              customer_id=customer.id, source="phone" if kind == "sms" else kind)
            s.flush()
            if kind == "wechat":
                container.conversations.record_inbound(s, ticket, channel=Channel.WECHAT, channel_key=f"wx-{i}",
                                                       body=description, sender=f"oOpenId{i:04d}",
                                                       customer_id=customer.id)
            container.tickets.add_note(s, ticket, SECRET, sue)
            container.problems.link(s, sue, ticket, problem)
            made["incidents"][ticket.id] = (kind, customer.name)
        made["problem"] = problem.id
    return made


def _run_job(container: Container, job_id: int) -> dict[str, Any]:
    worker = container.service("background")
    assert isinstance(worker, BackgroundWorker) and worker.run_once()
    with container.session_factory() as s:
        job = s.get(BackgroundJob, job_id)
        assert job is not None and job.status is JobStatus.DONE, (job.status if job else None, job and job.error)
        return dict(job.result or {})


def test_solving_tells_each_customer_once_on_their_channel(container: Container, outage) -> None:
    got: queue.Queue[Any] = queue.Queue()
    container.bus.subscribe(TicketUpdated, got.put)
    with transaction(container.session_factory) as s:
        problem = s.get(Ticket, outage["problem"])
        assert problem is not None
        job = container.problems.solve(
            s, _sue(s), problem, body="{{ customer.name }}您好，工单{{ ticket.number }}：中转站已恢复，今天派送。")
        job_id = job.id
    result = _run_job(container, job_id)
    assert result["resolved"] == 30 and result["told"] == 30 and result["not_told"] == []
    incidents = outage["incidents"]
    with container.session_factory() as s:
        sent = s.execute(select(Message.ticket_id, Message.channel, Message.recipient, Message.body).where(
            Message.direction == MessageDirection.OUTBOUND)).all()
        assert sorted(r.ticket_id for r in sent) == sorted(incidents), "one reply per incident, none elsewhere"
        want = {"email": Channel.EMAIL, "wechat": Channel.WECHAT, "sms": Channel.SMS}
        for row in sent:
            kind, name = incidents[row.ticket_id]
            number = s.scalar(select(Ticket.number).where(Ticket.id == row.ticket_id))
            assert row.channel is want[kind] and row.recipient and name in row.body and number in row.body
            assert SECRET not in row.body and "断电" not in row.body
        resolved = s.scalars(select(TicketChange.ticket_id).where(
            TicketChange.field == "status", TicketChange.new_value == "resolved",
            TicketChange.ticket_id.in_(incidents))).all()
        assert sorted(resolved) == sorted(incidents)
        assert set(s.scalars(select(Ticket.status).where(Ticket.id.in_(incidents)))) == {TicketStatus.RESOLVED}
        assert s.scalar(select(Ticket.status).where(Ticket.id == outage["problem"])) is TicketStatus.RESOLVED
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "problem_solved")) == 1
    events: list[Any] = []
    while True:
        try:
            events.append(got.get(timeout=2))
        except queue.Empty:
            break
    updated = [e.event.ticket_id for e in events if "status" in e.event.fields]
    assert sorted(t for t in updated if t in incidents) == sorted(incidents)  # one event each
    # The same job again (its worker lost after the last ticket, the job queued anew): nobody is told twice.
    with transaction(container.session_factory) as s:
        s.execute(update(BackgroundJob).where(BackgroundJob.id == job_id).values(status=JobStatus.QUEUED))
    assert _run_job(container, job_id)["resolved"] == 0
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(
            Message.direction == MessageDirection.OUTBOUND)) == 30


def test_a_second_run_of_the_job_tells_nobody_twice(container: Container, outage) -> None:
    with transaction(container.session_factory) as s:
        problem = s.get(Ticket, outage["problem"])
        assert problem is not None
        job_id = container.problems.solve(s, _sue(s), problem, body="已恢复").id
    first = list(outage["incidents"])[:12]
    with transaction(container.session_factory) as s:  # a worker got through twelve, then died
        job = s.get(BackgroundJob, job_id)
        assert job is not None
        work = Work(job.id, dict(job.params), job.requested_by_id, container.session_factory, "first")
    for ticket_id in first:
        with transaction(container.session_factory) as s:
            solving._one(s, work, container.tickets, container.replies, ticket_id, outage["problem"])
    result = _run_job(container, job_id)
    assert result["resolved"] == 18 and result["told"] == 18
    with container.session_factory() as s:
        per_ticket = s.execute(select(Message.ticket_id, func.count()).where(
            Message.direction == MessageDirection.OUTBOUND).group_by(Message.ticket_id)).all()
        assert len(per_ticket) == 30 and {n for _, n in per_ticket} == {1}


def test_solving_needs_a_problem_and_something_to_say(container: Container, outage) -> None:
    with transaction(container.session_factory) as s:
        incident = s.get(Ticket, next(iter(outage["incidents"])))
        problem = s.get(Ticket, outage["problem"])
        assert incident is not None and problem is not None
        with pytest.raises(TicketError) as not_problem:
            container.problems.solve(s, _sue(s), incident, body="已恢复")
        assert not_problem.value.code == "not_a_problem"
        with pytest.raises(TicketError) as empty:
            container.problems.solve(s, _sue(s), problem, body="  ")
        assert empty.value.code == "required"
    with container.session_factory() as s:
        assert s.scalar(select(Ticket.status).where(Ticket.id == outage["problem"])) is TicketStatus.NEW


def test_callers_with_only_a_phone_are_called_when_the_settings_say_so(container: Container, outage) -> None:
    from callcenter.models import Call, NoticeStatus, PhoneNotice

    container.settings.problems.phone_reply = "call"
    with transaction(container.session_factory) as s:  # and a caller we know only by the number they called from
        call = Call(pbx="lab", linkedid="solve-anon-1", started_at=utcnow(), caller_number="+8613900139000")
        s.add(call)
        s.flush()
        anonymous = container.tickets.create(s, _sue(s), subject="包裹不动了", category="delivery", call=call)
        s.flush()
        problem = s.get(Ticket, outage["problem"])
        assert problem is not None
        container.problems.link(s, _sue(s), anonymous, problem)
        job_id = container.problems.solve(s, _sue(s), problem, body="{{ customer.name }}您好，中转站已恢复。").id
    result = _run_job(container, job_id)
    assert (result["resolved"], result["told"], result["called"], result["not_told"]) == (31, 20, 11, [])
    phones = {t: c for t, (kind, c) in outage["incidents"].items() if kind == "sms"}
    with container.session_factory() as s:
        notices = {n.ticket_id: n for n in s.scalars(select(PhoneNotice))}
        assert set(notices) == set(phones) | {anonymous.id}
        assert all(n.status is NoticeStatus.DUE and n.incident_id is None for n in notices.values())
        some = next(iter(phones))
        assert notices[some].text == f"{phones[some]}您好，中转站已恢复。" and SECRET not in notices[some].text
        assert notices[anonymous.id].number == "+8613900139000"
        assert s.scalar(select(func.count()).select_from(Message).where(Message.channel == Channel.SMS)) == 0
    assert _run_job_again(container, job_id) == 11  # a rerun calls nobody twice


def _run_job_again(container: Container, job_id: int) -> int:
    from callcenter.models import PhoneNotice

    with transaction(container.session_factory) as s:
        job = s.get(BackgroundJob, job_id)
        assert job is not None
        job.status = JobStatus.QUEUED
    _run_job(container, job_id)
    with container.session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(PhoneNotice)) or 0)
