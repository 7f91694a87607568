"""Automation rules on SQLite and PostgreSQL: written in the change's transaction, run in order once per event,
a failing rule logged without stopping the change, approvals before an ERP's webhook (delivered to a real
receiver that verifies it with the Standard Webhooks library), customer tags set by rules and feeding segments."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.access.audit import Actor
from callcenter.automation.approvals import ApprovalError
from callcenter.automation.engine import AutomationService
from callcenter.automation.rules import RuleError
from callcenter.db import transaction
from callcenter.dispatch.escalation import ticket_times
from callcenter.dispatch.load import needs_for
from callcenter.dispatch.sla import SLA
from callcenter.events import ApprovalDecided
from callcenter.models import (
    Approval,
    ApprovalStatus,
    AuditLog,
    AutomationEvent,
    AutomationRun,
    Customer,
    CustomerPhone,
    Priority,
    Role,
    RunOutcome,
    Ticket,
    TicketNote,
    User,
    WebhookDelivery,
)
from callcenter.wiring import Container
from tests.support.receiver import Receiver

RETURNS = '''name = "Refunds wait for a supervisor"
when = "ticket_created"

[[if]]
field = "ticket.category"
value = "return"

[[then]]
do = "set_priority"
value = "high"

[[then]]
do = "ask_approval"
role = "supervisor"
reason = "退款需要主管同意"

[[then]]
do = "webhook"
endpoint = "ERP"
'''

COMPLAINTS = '''name = "Three complaints in 30 days"
when = "ticket_created"

[[if]]
field = "customer.recent_tickets"
op = "at_least"
value = 3
days = 30
category = "complaint"

[[then]]
do = "tag_customer"
value = "售后投诉"
days = 90
'''


@pytest.fixture
def people(container: Container) -> dict[str, Actor]:
    with transaction(container.session_factory) as s:
        made = {name: User(username=name, role=role, password_hash="x", display_name=name.title())
                for name, role in (("ada", Role.ADMIN), ("sam", Role.SUPERVISOR), ("amy", Role.AGENT))}
        s.add_all(made.values())
    return {name: Actor.of(user) for name, user in made.items()}


@pytest.fixture
def service(container: Container) -> Iterator[AutomationService]:
    built = container.service("automation")
    assert isinstance(built, AutomationService)
    yield built


T = TypeVar("T")


def _get(s: Session, model: type[T], key: int | None) -> T:
    row = s.get(model, key)
    assert row is not None
    return row


def _rule(container: Container, admin: Actor, text: str) -> int:
    with transaction(container.session_factory) as s:
        return container.rules.save(s, admin, text).id


def _ticket(container: Container, category: str, customer_id: int | None = None, subject: str = "退货") -> int:
    with transaction(container.session_factory) as s:
        return container.tickets.create(s, Actor.system("desk"), subject=subject, category=category,
                                        customer_id=customer_id).id


def _drain(container: Container, service: AutomationService) -> int:
    ran = 0
    while service.engine.run_once(container.session_factory):
        ran += 1
    return ran


def _customer(container: Container, number: str = "+8613800138000") -> int:
    with transaction(container.session_factory) as s:
        customer = Customer(name="李娜", phones=[CustomerPhone(number=number)])
        s.add(customer)
        s.flush()
        return customer.id


def test_a_return_needs_a_supervisors_approval_before_the_erp_hears_of_it(
        container: Container, people: dict[str, Actor], service: AutomationService) -> None:
    receiver = Receiver(secret="whsec_" + "A" * 43 + "=").start()
    try:
        with transaction(container.session_factory) as s:
            endpoint = container.webhook_endpoints.save(s, people["ada"], name="ERP", url=receiver.url,
                                                        wanted=["automation_fired"])
            receiver.secret = endpoint.secret
        _rule(container, people["ada"], RETURNS)
        decided: list[ApprovalDecided] = []
        container.bus.subscribe(ApprovalDecided, lambda m: decided.append(m.event))
        approved_id, rejected_id, other_id = (_ticket(container, "return"), _ticket(container, "return"),
                                              _ticket(container, "billing"))
        assert _drain(container, service) == 3
        with transaction(container.session_factory) as s:
            assert _get(s, Ticket, approved_id).priority is Priority.HIGH
            assert _get(s, Ticket, other_id).priority is Priority.NORMAL
            outcomes = dict(s.execute(select(AutomationRun.ticket_id, AutomationRun.outcome)).tuples().all())
            assert outcomes == {approved_id: RunOutcome.WAITING, rejected_id: RunOutcome.WAITING,
                                other_id: RunOutcome.NOT_MET}
            assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0  # nothing before approval
            pending = container.approvals.queue(s, _get(s, User, people["sam"].user_id))
            assert [a.ticket_id for a in pending] == [approved_id, rejected_id]
            assert pending[0].reason == "退款需要主管同意"
            # An agent may not decide; a rejection needs a reason.
            with pytest.raises(ApprovalError):
                container.approvals.decide(s, pending[0], Actor.of(_get(s, User, people["amy"].user_id)), approve=True)
            with pytest.raises(ApprovalError):
                container.approvals.decide(s, pending[1], Actor.of(_get(s, User, people["sam"].user_id)),
                                           approve=False)
        with transaction(container.session_factory) as s:
            sam_user = _get(s, User, people["sam"].user_id)
            sam = Actor.of(sam_user)
            [first, second] = container.approvals.queue(s, sam_user)
            assert container.approvals.decide(s, first, sam, approve=True) == ["webhook ERP"]
            container.approvals.decide(s, second, sam, approve=False, comment="没有收到退货")
        sender = container.service("webhooks")
        with sender.client() as client:  # type: ignore[attr-defined]  # the webhooks service is a Sender
            while sender.run_once(client):  # type: ignore[attr-defined]  # the webhooks service is a Sender
                pass
        [got] = receiver.accepted  # verified with the endpoint's secret by the reference library
        assert got.payload["type"] == "automation_fired"
        data = got.payload["data"]
        assert data["ticket_id"] == approved_id and data["approved_by"] == "sam"
        assert data["rule"] == "Refunds wait for a supervisor" and data["ticket"]["priority"] == "high"
        with transaction(container.session_factory) as s:
            assert s.scalar(select(Approval.status).where(Approval.ticket_id == rejected_id)) is ApprovalStatus.REJECTED
            actions = {a.action: a for a in s.scalars(select(AuditLog).where(AuditLog.action.like("approval_%")))}
            assert set(actions) == {"approval_requested", "approval_approved", "approval_rejected"}
            assert actions["approval_rejected"].detail["comment"] == "没有收到退货"
            notes = s.scalars(select(TicketNote).where(TicketNote.ticket_id == rejected_id)).all()
            assert [n.internal for n in notes] == [True] and "没有收到退货" in notes[0].body
        _wait(lambda: {(e.ticket_id, e.approved) for e in decided} == {(approved_id, True), (rejected_id, False)})
    finally:
        receiver.stop()


def test_rules_run_in_order_once_per_event_and_a_failing_one_never_stops_the_change(
        container: Container, people: dict[str, Actor], service: AutomationService) -> None:
    first = _rule(container, people["ada"], '''name = "Urgent billing"
when = "ticket_created"
[[if]]
field = "ticket.category"
value = "billing"
[[then]]
do = "set_priority"
value = "urgent"
[[then]]
do = "add_tag"
value = "billing-rule"
''')
    broken = _rule(container, people["ada"], '''name = "Assign to amy"
when = "ticket_created"
[[then]]
do = "add_tag"
value = "half-done"
[[then]]
do = "assign"
user = "amy"
''')
    last = _rule(container, people["ada"], '''name = "Note after"
when = "ticket_created"
[[if]]
field = "ticket.priority"
value = "urgent"
[[then]]
do = "add_note"
text = "按规则升级"
''')
    with transaction(container.session_factory) as s:  # amy leaves after the rule was saved
        _get(s, User, people["amy"].user_id).is_active = False
    ticket_id = _ticket(container, "billing")
    assert _drain(container, service) == 1
    with transaction(container.session_factory) as s:
        ticket = _get(s, Ticket, ticket_id)
        assert ticket.priority is Priority.URGENT and ticket.tags == ["billing-rule"]  # no "half-done": rolled back
        runs = {r.rule_id: r for r in s.scalars(select(AutomationRun))}
        assert runs[first].outcome is RunOutcome.DONE and runs[first].did == ["priority urgent", "tag billing-rule"]
        assert runs[broken].outcome is RunOutcome.FAILED and "amy" in (runs[broken].error or "")
        # The third saw what the first did: rules run in order on one ticket.
        assert runs[last].outcome is RunOutcome.DONE
        notes = s.scalars(select(TicketNote).where(TicketNote.ticket_id == ticket_id))
        assert [n.body for n in notes] == ["按规则升级"]
        # The rules' own changes start no rules: one event only.
        assert s.scalar(select(func.count()).select_from(AutomationEvent)) == 1
        event = s.scalars(select(AutomationEvent)).one()
        # Run again (a worker that died after its work and before... the unique run): nothing happens twice.
        event.status = event.status.__class__.QUEUED
    assert _drain(container, service) == 1
    with transaction(container.session_factory) as s:
        assert s.scalar(select(func.count()).select_from(AutomationRun)) == 3
        assert len(s.scalars(select(TicketNote).where(TicketNote.ticket_id == ticket_id)).all()) == 1


def test_a_rule_is_refused_with_each_problem_on_its_line(container: Container, people: dict[str, Actor]) -> None:
    text = RETURNS.replace('value = "high"', 'value = "hgh"').replace('endpoint = "ERP"', 'endpoint = "SAP"')
    with transaction(container.session_factory) as s, pytest.raises(RuleError) as refused:
        container.rules.save(s, people["ada"], text)
    lines = text.split("\n")
    assert [(p.line, p.refusal.code) for p in refused.value.problems] == [
        (lines.index('value = "hgh"') + 1, "literal_error")]
    # Names are looked up once the text is well formed.
    with transaction(container.session_factory) as s, pytest.raises(RuleError) as refused:
        container.rules.save(s, people["ada"], RETURNS.replace('endpoint = "ERP"', 'endpoint = "SAP"'))
    [problem] = refused.value.problems
    assert problem.refusal.code == "no_endpoint" and problem.line == RETURNS.split("\n").index('endpoint = "ERP"') + 1
    with transaction(container.session_factory) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("automation_rule%"))) == 0


def test_three_complaints_tag_the_customer_whose_segment_gets_priority_seniors_and_a_faster_sla(
        container: Container, people: dict[str, Actor], service: AutomationService) -> None:
    _rule(container, people["ada"], COMPLAINTS)
    customer_id = _customer(container)
    with transaction(container.session_factory) as s:
        container.segments.save(s, people["ada"], {"name": "Complainers", "name_zh": "投诉客户",
                                                   "tags_all": "售后投诉", "queue_priority": "8", "senior": "on",
                                                   "first_response_minutes": "30"})
    for _ in range(2):
        _ticket(container, "complaint", customer_id)
    _drain(container, service)
    with transaction(container.session_factory) as s:
        assert container.segments.of_customer(s, customer_id).names == []
    third = _ticket(container, "complaint", customer_id)
    _drain(container, service)
    with transaction(container.session_factory) as s:
        member = container.segments.of_customer(s, customer_id)
        assert member.names == ["Complainers"] and member.queue_priority == 8 and member.senior
        tag = s.scalars(select(AuditLog).where(AuditLog.action == "customer_tag_added")).one()
        assert tag.detail["tag"] == "售后投诉" and tag.detail["source"] == "rule" and tag.actor_name == "automation"
        ticket = _get(s, Ticket, third)
        assert needs_for(s, ticket, container.settings.dispatch.assignment, segments=container.segments).senior
        times = ticket_times(s, ticket, container.segments)
        sla = SLA(container.settings.dispatch.sla, container.settings.timezone)
        clock = sla.clock(times, "first_response", ticket.created_at)
        assert clock.allowed == 30 * 60  # the segment's 30 minutes, not the policy's 240
    # The tag expires: the sweep removes it (audited) and the customer leaves the segment.
    with transaction(container.session_factory) as s:
        assert container.customer_tags.sweep(s, Actor.system("test"), dt.datetime.now(dt.UTC)
                                             + dt.timedelta(days=91)) == 1
        assert container.segments.of_customer(s, customer_id).names == []
    with transaction(container.session_factory) as s:  # audit rows are written as the transaction commits
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "customer_tag_expired")) == 1


def test_the_service_runs_events_as_they_commit(container: Container, people: dict[str, Actor],
                                                 service: AutomationService) -> None:
    _rule(container, people["ada"], RETURNS.split("[[then]]")[0] + '[[then]]\ndo = "add_tag"\nvalue = "退货"\n')
    service.start()
    try:
        ticket_id = _ticket(container, "return")
        _wait(lambda: _tags(container, ticket_id) == ["退货"])
    finally:
        service.stop()
    assert service.error is None  # the service's thread ended without an error


def _waiting(container: Container) -> int:
    with transaction(container.session_factory) as s:
        return s.scalar(select(func.count()).select_from(AutomationEvent).where(AutomationEvent.status != "done")) or 0


def _tags(container: Container, ticket_id: int) -> list[str]:
    with transaction(container.session_factory) as s:
        return list(_get(s, Ticket, ticket_id).tags or [])


def _wait(ok: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not ok():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_services_share_the_events_and_run_each_rule_once(container: Container, people: dict[str, Actor]) -> None:
    """Two automation services at once (SKIP LOCKED on PostgreSQL; SQLite takes turns): every event runs once."""
    _rule(container, people["ada"], RETURNS.split("[[then]]")[0] + '[[then]]\ndo = "add_tag"\nvalue = "退货"\n')
    ids = [_ticket(container, "return", subject=f"退货 {n}") for n in range(40)]
    services = [container.service("automation") for _ in range(2)]
    for service in services:
        service.start()
    try:
        _wait(lambda: all(_tags(container, i) == ["退货"] for i in ids), 60)
        _wait(lambda: _waiting(container) == 0, 30)
    finally:
        for service in services:
            service.stop()
    assert all(isinstance(service, AutomationService) and service.error is None for service in services)
    with transaction(container.session_factory) as s:
        assert s.scalar(select(func.count()).select_from(AutomationRun)) == 40
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "ticket_changed")) == 40
