"""Incident mode on SQLite and PostgreSQL: declaring (checked, audited, told), which incident a caller hears,
one subscription per number, solving makes them due, the surge watch, and the dispatcher's notice calls."""
from __future__ import annotations

import datetime as dt
import queue
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from callcenter.access.audit import Actor
from callcenter.access.dialling import DiallingPolicy, NumberRefused
from callcenter.db import transaction
from callcenter.dispatch.calendar import DailyWindow
from callcenter.dispatch.dialer import Outcome
from callcenter.dispatch.notices import NoticePlacer
from callcenter.events import IncidentDeclared, IncidentEnded, IncidentProposed
from callcenter.models import (
    AuditLog,
    Call,
    Incident,
    IncidentStatus,
    NoticeStatus,
    PhoneNotice,
    Queue,
    Ticket,
    TicketChange,
    utcnow,
)
from callcenter.problems.incidents import Incidents
from callcenter.problems.notifier import IncidentNotifier
from callcenter.problems.settings import ProblemSettings
from callcenter.tickets.service import TicketError
from callcenter.wiring import Container
from tests.test_dispatch_flow import ScriptedDialer

SUE = Actor.system("sue")
NUMBER = "+12025550143"


def _problem(container: Container, subject: str = "光纤中断", category: str = "network") -> int:
    with transaction(container.session_factory) as s:
        if s.scalar(select(Queue.id).where(Queue.name == "support")) is None:
            s.add(Queue(name="support", display_name="Support"))
        return container.tickets.create(s, SUE, subject=subject, category=category).id


def _declare(container: Container, problem_id: int, **kw: Any) -> int:
    with transaction(container.session_factory) as s:
        problem = s.get(Ticket, problem_id)
        assert problem is not None
        values = {"message_en": "The network is down in the north.", "message_zh": "北区网络故障。"} | kw
        return container.incidents.declare(s, SUE, problem, **values).id


def test_declaring_checks_the_words_and_scope_then_tells_everyone(container: Container) -> None:
    got: queue.Queue[Any] = queue.Queue()
    container.bus.subscribe(IncidentDeclared, got.put)
    problem_id = _problem(container)
    for kw, code in (({"message_en": " ", "message_zh": ""}, "required"),
                     ({"message_en": "x" * 301}, "too_long"),
                     ({"queue": "nowhere"}, "not_found"),
                     ({"category": "Bad Category"}, "invalid")):
        with pytest.raises(TicketError) as refused:
            _declare(container, problem_id, **kw)
        assert refused.value.code == code, kw
    incident_id = _declare(container, problem_id, queue="support", message_en="Down.\r\nCall later.")
    assert got.get(timeout=5).event.incident_id == incident_id
    assert _declare(container, problem_id, queue="support") == incident_id  # reworded, not a second one
    with container.session_factory() as s:
        incident = s.get(Incident, incident_id)
        problem = s.get(Ticket, problem_id)
        assert incident is not None and problem is not None and problem.is_problem
        assert (incident.status, incident.queue_name, incident.revision) == (IncidentStatus.OPEN, "support", 2)
        assert incident.message("zh") == "北区网络故障。" and incident.message("en").startswith("The network")
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "incident_declared").limit(1)) is not None
        fields = s.scalars(select(TicketChange.field).where(TicketChange.ticket_id == problem_id)).all()
        assert "incident" in fields and "is_problem" in fields


def test_a_caller_hears_the_narrowest_incident_once(container: Container) -> None:
    everyone = _declare(container, _problem(container, "停电"))
    queue_wide = _declare(container, _problem(container, "网络"), queue="support")
    category = _declare(container, _problem(container, "账单"), category="billing")
    with container.session_factory() as s:
        def heard(queue: str, category: str, skip: set[int]) -> int | None:
            found = Incidents.heard_by(s, queue, category, skip)
            return found.id if found else None

        assert heard("support", "", set()) == queue_wide
        assert heard("support", "", {queue_wide}) == everyone
        assert heard("sales", "", set()) == everyone
        assert heard("sales", "billing", {everyone}) == category
        assert heard("sales", "billing", {everyone, category}) is None


def test_one_subscription_per_number_and_the_policy_is_asked(container: Container) -> None:
    incident_id = _declare(container, _problem(container))
    with transaction(container.session_factory) as s:
        first = container.incidents.subscribe(s, incident_id, NUMBER, "zh", None)
        again = container.incidents.subscribe(s, incident_id, NUMBER, "zh", None)
        assert first is not None and again is not None and first.id == again.id
    strict = Incidents(container.tickets, IncidentNotifier(None), ProblemSettings(),
                       DiallingPolicy(["US"], [], ["+1202"], [], 3), container.similar_tickets)
    with transaction(container.session_factory) as s, pytest.raises(NumberRefused):
        strict.subscribe(s, incident_id, "+12025550199", "en", None)
    with container.session_factory() as s:
        assert [r.number for r in s.scalars(select(PhoneNotice))] == [NUMBER]


def test_solving_the_problem_makes_its_subscribers_due_and_ending_does_not(container: Container) -> None:
    got: queue.Queue[Any] = queue.Queue()
    container.bus.subscribe(IncidentEnded, got.put)
    solved_id, ended_id = _problem(container), _problem(container, "其他")
    solved, ended = _declare(container, solved_id), _declare(container, ended_id)
    with transaction(container.session_factory) as s:
        for incident_id in (solved, ended):
            for n in range(3):
                container.incidents.subscribe(s, incident_id, f"+1202555014{n}", "en", None)
    with transaction(container.session_factory) as s:
        problem = s.get(Ticket, solved_id)
        assert problem is not None
        container.problems.solve(s, SUE, problem, body="Fixed, thank you.")
        other = container.incidents.live(s, ended_id)
        assert other is not None and container.incidents.end(s, SUE, other, solved=False) == 0
    events = {m.event.incident_id: m.event.solved for m in (got.get(timeout=5), got.get(timeout=5))}
    assert events == {solved: True, ended: False}
    with container.session_factory() as s:
        states = dict(s.execute(select(PhoneNotice.incident_id, PhoneNotice.status)).tuples().all())
        assert states == {solved: NoticeStatus.DUE, ended: NoticeStatus.CANCELLED}
        assert container.incidents.live(s, solved_id) is None
        with pytest.raises(TicketError):  # a solved problem is closed to a new incident
            problem = s.get(Ticket, solved_id)
            assert problem is not None
            container.incidents.declare(s, SUE, problem, message_en="again", message_zh="")


def test_a_surge_of_similar_new_tickets_proposes_one_incident(container: Container) -> None:
    got: queue.Queue[Any] = queue.Queue()
    container.bus.subscribe(IncidentProposed, got.put)
    container.settings.problems.surge_count = 5
    ids = []
    with transaction(container.session_factory) as s:
        for n in range(6):
            ids.append(container.tickets.create(s, SUE, subject=f"包裹卡在中转站 {n}", category="delivery",
                                                description="快递一直停在中转站，物流不更新").id)
        container.tickets.create(s, SUE, subject="发票抬头写错了", category="billing")
    watch = container.incidents
    with transaction(container.session_factory) as s:
        quiet = watch.watch(s, _get(s, ids[0]), utcnow() + dt.timedelta(hours=1))  # outside the window
        assert quiet is None
        proposal = watch.watch(s, _get(s, ids[-1]))
        assert proposal is not None and proposal.status is IncidentStatus.PROPOSED
        assert (proposal.category, proposal.seen, proposal.problem_id) == ("delivery", 6, ids[-1])
        assert watch.watch(s, _get(s, ids[-2])) is None  # one proposal per surge
    assert got.get(timeout=5).event.seen == 6


def test_a_surge_of_calls_to_a_queue_proposes_an_incident_before_any_ticket(container: Container) -> None:
    """Callers ring about an outage before anyone files a ticket: the queue's calls of the last 15 minutes
    against its usual.  The proposal follows the surge, goes when it is over, and a declared incident
    for the queue replaces it."""
    got: queue.Queue[Any] = queue.Queue()
    container.bus.subscribe(IncidentProposed, got.put)
    container.settings.problems.surge_count = 5
    now = utcnow()
    with transaction(container.session_factory) as s:
        s.add(Queue(name="support", display_name="Support"))
        # The usual: 70 calls over the last week (one per 2.4 hours), and 6 in the last few minutes.
        for n in range(70):
            s.add(Call(pbx="lab", linkedid=f"usual.{n}", queue_name="support",
                       started_at=now - dt.timedelta(hours=1 + 2.4 * n)))
        for n in range(6):
            s.add(Call(pbx="lab", linkedid=f"surge.{n}", queue_name="support",
                       started_at=now - dt.timedelta(minutes=n)))
        s.add(Call(pbx="lab", linkedid="other", queue_name="sales", started_at=now))
    watch = container.incidents
    with transaction(container.session_factory) as s:
        assert watch.watch_calls(s, "sales", now) is None  # one call is no surge
        proposal = watch.watch_calls(s, "support", now)
        assert proposal is not None and proposal.status is IncidentStatus.PROPOSED
        assert (proposal.queue_name, proposal.problem_id, proposal.seen) == ("support", None, 6)
        assert watch.watch_calls(s, "support", now).id == proposal.id  # type: ignore[union-attr]  # the same one
        proposal_id = proposal.id
    assert got.get(timeout=5).event.seen == 6
    # A busy queue is not surging: 3,000 calls in the week before (about 4.5 per 15 minutes), 6 now.
    with transaction(container.session_factory) as s:
        s.execute(insert(Call), [{"pbx": "lab", "linkedid": f"busy.{n}", "queue_name": "sales",
                                  "started_at": now - dt.timedelta(hours=1, minutes=n * 3)} for n in range(3000)])
        for n in range(6):
            s.add(Call(pbx="lab", linkedid=f"sales.{n}", queue_name="sales", started_at=now - dt.timedelta(minutes=n)))
    with transaction(container.session_factory) as s:
        assert watch.watch_calls(s, "sales", now) is None
    # An hour later the surge is over: the proposal goes by itself.
    with transaction(container.session_factory) as s:
        assert watch.watch_calls(s, "support", now + dt.timedelta(hours=1)) is None
        gone = s.get(Incident, proposal_id)
        assert gone is not None and gone.status is IncidentStatus.DISMISSED
    # A new surge, then a supervisor declares an incident for the queue on a ticket: it replaces the proposal.
    with transaction(container.session_factory) as s:
        again = watch.watch_calls(s, "support", now)
        assert again is not None and again.id != proposal_id
        again_id = again.id
    problem_id = _problem(container)
    _declare(container, problem_id, queue="support")
    with container.session_factory() as s:
        replaced = s.get(Incident, again_id)
        assert replaced is not None and replaced.status is IncidentStatus.DISMISSED
        assert watch.watch_calls(s, "support", now) is None  # callers of the queue hear the declared one


def test_each_subscriber_is_called_once_within_calling_hours(container: Container) -> None:
    incident_id = _declare(container, _problem(container))
    with transaction(container.session_factory) as s:
        told = container.incidents.subscribe(s, incident_id, NUMBER, "zh", None)
        missed = container.incidents.subscribe(s, incident_id, "+12025550144", "en", None)
        assert told is not None and missed is not None
        told_id, missed_id = told.id, missed.id
        incident = s.get(Incident, incident_id)
        assert incident is not None
        container.incidents.end(s, SUE, incident, solved=True)
    cfg = ProblemSettings(notice_attempts=2, notice_retry_minutes=10)
    dialer = ScriptedDialer(Outcome.REACHED, Outcome.NO_ANSWER, Outcome.BUSY)
    placer = NoticePlacer(cfg, dialer, DailyWindow("", "UTC"), "cc-incident-notice", "customer",
                          policy=container.incidents.policy)
    now = utcnow()
    assert placer.run(container.session_factory, told_id, now) is None
    assert placer.run(container.session_factory, told_id, now) is None  # told: never again
    retry = placer.run(container.session_factory, missed_id, now)
    assert retry is not None and retry >= now + dt.timedelta(minutes=10)
    assert placer.run(container.session_factory, missed_id, now) == retry  # not yet
    assert placer.run(container.session_factory, missed_id, retry) is None  # busy, no tries left
    assert [(r.channel, r.context, r.variables["CC_LANG"]) for r in dialer.requests] == [
        (f"PJSIP/{NUMBER}@customer", "cc-incident-notice", "zh"),
        ("PJSIP/+12025550144@customer", "cc-incident-notice", "en"),
        ("PJSIP/+12025550144@customer", "cc-incident-notice", "en")]
    with container.session_factory() as s:
        rows = {r.id: r for r in s.scalars(select(PhoneNotice))}
        assert (rows[told_id].status, rows[told_id].attempts) == (NoticeStatus.TOLD, 1)
        assert (rows[missed_id].status, rows[missed_id].attempts) == (NoticeStatus.NO_ANSWER, 2)
    night = DailyWindow("09:00-18:00", "UTC")
    late = now.replace(hour=20, minute=0, second=0, microsecond=0)
    with transaction(container.session_factory) as s:
        again = container.incidents.subscribe(s, _declare(container, _problem(container, "新")), NUMBER, "en",
                                              None)
        assert again is not None
        again.status, again.due_at, later_id = NoticeStatus.DUE, late, again.id
    waiting = NoticePlacer(cfg, ScriptedDialer(), night, "cc-incident-notice", "customer",
                           policy=container.incidents.policy).run(container.session_factory, later_id, late)
    assert waiting is not None and waiting.hour == 9 and waiting > late


def _get(s: Session, ticket_id: int) -> Ticket:
    ticket = s.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket
