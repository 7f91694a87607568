"""Dispatcher logic on SQLite and PostgreSQL: assignment on tickets, callbacks, surveys, CSAT.

Placing calls here uses a scripted dialer that returns the outcomes a real
PBX would (the unit level); tests/test_dispatch_lab.py places the same
callbacks through the real lab Asterisk with SIPp phones.
"""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.config import AssignmentRules, CallbackSettings, SurveySettings
from callcenter.db import transaction
from callcenter.dispatch import surveys
from callcenter.dispatch.assigner import Assigner
from callcenter.dispatch.assignment import Decision
from callcenter.dispatch.calendar import DailyWindow
from callcenter.dispatch.callbacks import CallbackError
from callcenter.dispatch.dialer import DialRequest, DialResult, Outcome
from callcenter.dispatch.notifier import DispatchNotifier
from callcenter.dispatch.placing import CallbackPlacer
from callcenter.models import (
    AgentProfile,
    AgentSkill,
    Call,
    Callback,
    CallbackAttempt,
    CallbackSource,
    CallbackStatus,
    Customer,
    Disposition,
    JobRun,
    Priority,
    Role,
    Skill,
    Survey,
    SurveyStatus,
    Ticket,
    TicketChange,
    TicketNote,
    TicketStatus,
    User,
    VipTier,
    utcnow,
)
from callcenter.tickets.service import TicketError
from tests.support import services
from tests.support.rows import row
from tests.support.services import TEST

UTC = dt.UTC
tickets = services.tickets()


class ScriptedDialer:
    """Returns the given outcomes in order and remembers every request."""

    def __init__(self, *outcomes: Outcome, delay: float = 0.0) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[DialRequest] = []
        self.delay = delay
        self.lock = threading.Lock()

    def dial(self, request: DialRequest) -> DialResult:
        with self.lock:
            self.requests.append(request)
            outcome = self.outcomes.pop(0) if self.outcomes else Outcome.REACHED
        threading.Event().wait(self.delay)
        return DialResult(outcome, f"scripted {outcome.value}", f"cc-orig-{request.originate_key}")

    def close(self) -> None:
        pass


def add_agent(s, name: str, *, skills: dict[int, int] | None = None, langs=("en",), seniority=1,
              iface: str | None = None) -> int:
    u = User(username=name, display_name=name.title(), role=Role.AGENT, password_hash="x")
    s.add(u)
    s.flush()
    p = AgentProfile(user_id=u.id, languages=list(langs), seniority=seniority, sip_interface=iface)
    p.skills = [AgentSkill(skill_id=k, level=v) for k, v in (skills or {}).items()]
    s.add(p)
    s.flush()
    return u.id


def decided(decision: Decision | None) -> Decision:
    """What the assigner decided for a ticket that exists and is open (it returns None otherwise)."""
    assert decision is not None
    return decision


@pytest.fixture
def world(session_factory):
    with transaction(session_factory) as s:
        billing = Skill(name="billing")
        s.add(billing)
        s.flush()
        ids = {"billing": billing.id,
               "ann": add_agent(s, "ann", skills={billing.id: 3}, langs=("en", "zh"), iface="PJSIP/agent1001"),
               "bob": add_agent(s, "bob", iface="PJSIP/agent1002"),
               "cy": add_agent(s, "cy", skills={billing.id: 1}, seniority=5, iface="PJSIP/agent1003")}
        boss = User(username="boss", role=Role.SUPERVISOR, password_hash="x")
        s.add(boss)
        s.flush()
        ids["boss"] = boss.id
    return ids


def test_assignment_is_recorded_with_its_reason(session_factory, world) -> None:
    assigner = Assigner(AssignmentRules(), tickets)
    now = utcnow()
    with transaction(session_factory) as s:
        vip = Customer(name="Big Co", vip_tier=VipTier.GOLD)
        s.add(vip)
        s.flush()
        t1 = tickets.create(s, TEST, subject="refund", needed_skill_id=world["billing"], language="zh").id
        t2 = tickets.create(s, TEST, subject="vip refund", needed_skill_id=world["billing"], customer_id=vip.id).id
        t3 = tickets.create(s, TEST, subject="klingon", language="tlh").id
    with transaction(session_factory) as s:
        assert decided(assigner.assign(s, t1, now)).agent_id == world["ann"]  # only ann has billing + zh
        assert decided(assigner.assign(s, t2, now)).agent_id == world["cy"]  # senior first for gold
        assert decided(assigner.assign(s, t3, now)).route == "supervisor"
    with session_factory() as s:
        change = s.scalar(select(TicketChange).where(TicketChange.ticket_id == t1,
                                                     TicketChange.field == "assignee_id"))
        assert change.new_value == str(world["ann"])
        assert "billing>=1 (has 3)" in change.reason and "speaks zh" in change.reason
        assert s.get(Ticket, t3).assignee_id == world["boss"]


def test_untouched_ticket_is_reassigned_after_the_timeout(session_factory, world) -> None:
    assigner = Assigner(AssignmentRules(accept_timeout_minutes=15), tickets)
    now = utcnow()
    with transaction(session_factory) as s:
        tid = tickets.create(s, TEST, subject="modem", needed_skill_id=world["billing"]).id
        first = decided(assigner.assign(s, tid, now)).agent_id
    with transaction(session_factory) as s:
        decision, wake = assigner.check_acceptance(s, tid, now + dt.timedelta(minutes=5))
        assert decision is None and wake is not None and wake > now
    with transaction(session_factory) as s:
        decision, _ = assigner.check_acceptance(s, tid, now + dt.timedelta(minutes=16))
        assert decision is not None and decision.agent_id not in (None, first)
        assert "not accepted within 15 min" in s.scalars(select(TicketChange.reason).where(
            TicketChange.ticket_id == tid, TicketChange.field == "assignee_id")).all()[-1]
    # A ticket the agent worked on stays with them.
    with transaction(session_factory) as s:
        t = row(s, Ticket, tid)
        tickets.add_note(s, t, "called the customer", Actor.of(row(s, User, t.assignee_id)))
    with transaction(session_factory) as s:
        assert assigner.check_acceptance(s, tid, now + dt.timedelta(hours=5)) == (None, None)


def test_supervisor_reassigns_with_a_reason(session_factory, world) -> None:
    with transaction(session_factory) as s:
        tid = tickets.create(s, TEST, subject="x").id
    with transaction(session_factory) as s:
        boss, ann = Actor.of(row(s, User, world["boss"])), Actor.of(row(s, User, world["ann"]))
        ticket = row(s, Ticket, tid)
        with pytest.raises(TicketError, match="Say why"):
            tickets.reassign(s, ticket, world["bob"], boss, "  ")
        with pytest.raises(TicketError, match="supervisors"):
            tickets.reassign(s, ticket, world["bob"], ann, "I want to")
        tickets.reassign(s, ticket, world["bob"], boss, "Bob knows this customer")
    with session_factory() as s:
        change = s.scalar(select(TicketChange).where(TicketChange.ticket_id == tid,
                                                     TicketChange.field == "assignee_id"))
        assert change.actor_id == world["boss"] and "Bob knows this customer" in change.reason


def placer(dialer: ScriptedDialer, **cfg) -> CallbackPlacer:
    cb_cfg = CallbackSettings(**{"retry_delays": [60, 120], "max_attempts": 3, "calling_hours": "", **cfg})
    return CallbackPlacer(cb_cfg, Assigner(AssignmentRules(), tickets).engine, dialer,
                          DailyWindow(cb_cfg.calling_hours, "UTC"), "cc-callback", "customer",
                          tickets=tickets, notifier=DispatchNotifier(None), policy=services.policy())


def test_callback_requests_are_validated_and_never_duplicated(session_factory) -> None:
    cfg = CallbackSettings()
    callbacks = services.callbacks(cfg, "US")
    with transaction(session_factory) as s:
        with pytest.raises(CallbackError, match="not a phone number we can call back"):
            callbacks.request(s, "555\r\nAction: Originate", source="ivr")
        with pytest.raises(CallbackError):
            callbacks.request(s, "${SHELL(id)}", source="ivr")
        a = callbacks.request(s, "(202) 555-0143", source="ivr")
        b = callbacks.request(s, "+1 202 555 0143", source="agent")
        assert a.id == b.id and a.number == "+12025550143"
        assert a.sla_due_at is not None and a.sla_due_at - a.due_at == dt.timedelta(minutes=cfg.sla_minutes)


def test_abandoned_calls_get_one_callback(session_factory) -> None:
    cfg = CallbackSettings(abandoned_delay_minutes=5)
    with transaction(session_factory) as s:
        call = Call(pbx="lab", linkedid="1.1", started_at=utcnow(), ended_at=utcnow(), caller_number="+12025550100",
                    disposition=Disposition.ABANDONED_QUEUE)
        s.add(call)
        s.flush()
        callbacks = services.callbacks(cfg, "US")
        cb = callbacks.for_abandoned_call(s, call.id)
        assert cb is not None and cb.source is CallbackSource.ABANDONED
        assert call.ended_at is not None and cb.due_at == call.ended_at + dt.timedelta(minutes=5)
        assert callbacks.for_abandoned_call(s, call.id) is None
        off = CallbackSettings(auto_for_abandoned=False)
        assert services.callbacks(off, "US").for_abandoned_call(s, call.id) is None


def test_retries_with_backoff_then_failed(session_factory, world) -> None:
    dialer = ScriptedDialer(Outcome.NO_ANSWER, Outcome.BUSY, Outcome.NO_ANSWER)
    p = placer(dialer)
    with transaction(session_factory) as s:
        tid = tickets.create(s, TEST, subject="call me").id
        cid = services.callbacks(p.cfg, "US").request(s, "+12025550143", source="agent", ticket_id=tid).id
    now = utcnow()
    assert p.run(session_factory, cid, now) is not None
    with session_factory() as s:
        cb = s.get(Callback, cid)
        assert cb.status is CallbackStatus.PENDING and cb.attempts == 1
        retry = cb.next_attempt_at
        assert dt.timedelta(seconds=59) < retry - now < dt.timedelta(seconds=70)
    assert p.run(session_factory, cid, now) == retry  # not due yet: nothing dialled
    assert len(dialer.requests) == 1
    assert p.run(session_factory, cid, retry) is not None
    with session_factory() as s:
        s_next = s.get(Callback, cid).next_attempt_at
    assert p.run(session_factory, cid, s_next) is None
    with session_factory() as s:
        cb = s.get(Callback, cid)
        assert cb.status is CallbackStatus.FAILED and cb.attempts == 3
        outcomes = s.scalars(select(CallbackAttempt.outcome).where(CallbackAttempt.callback_id == cid)
                             .order_by(CallbackAttempt.attempt)).all()
        assert outcomes == ["no_answer", "busy", "no_answer"]
        notes = s.scalars(select(TicketNote.body).where(TicketNote.ticket_id == tid)).all()
        assert any("no attempts left, callback failed" in n for n in notes)
        keys = s.scalars(select(JobRun.key).where(JobRun.kind == "callback")).all()
        assert sorted(keys) == [f"callback:{cid}:attempt:{n}" for n in (1, 2, 3)]
    assert len(dialer.requests) == 3 and all(r.follow_dial for r in dialer.requests)
    assert all(r.variables["CC_CALLBACK_NUMBER"] == "+12025550143" for r in dialer.requests)
    assert len({r.originate_key for r in dialer.requests}) == 3  # one channel id per attempt


def test_two_dispatchers_racing_dial_once(session_factory, world) -> None:
    dialer = ScriptedDialer(delay=0.2)
    a, b = placer(dialer), placer(dialer)
    with transaction(session_factory) as s:
        cid = services.callbacks(a.cfg, "US").request(s, "+12025550143", source="ivr").id
    now = utcnow()
    threads = [threading.Thread(target=p.run, args=(session_factory, cid, now)) for p in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(dialer.requests) == 1
    with session_factory() as s:
        assert s.get(Callback, cid).status is CallbackStatus.REACHED


def test_calling_hours_and_no_free_agent_postpone_without_an_attempt(session_factory, world) -> None:
    dialer = ScriptedDialer()
    night = dt.datetime(2025, 3, 7, 23, 0, tzinfo=UTC)
    p = placer(dialer, calling_hours="09:00-20:00")
    with transaction(session_factory) as s:
        cid = services.callbacks(p.cfg, "US").request(s, "+12025550143", source="ivr",
                                                      due_at=night - dt.timedelta(hours=1)).id
    assert p.run(session_factory, cid, night) == dt.datetime(2025, 3, 8, 9, 0, tzinfo=UTC)
    busy = placer(dialer)
    with transaction(session_factory) as s:
        for p_ in s.scalars(select(AgentProfile)):
            p_.sip_interface = None  # nobody can be rung
    wake = busy.run(session_factory, cid, utcnow())
    assert wake is not None and not dialer.requests
    with session_factory() as s:
        assert s.get(Callback, cid).attempts == 0


def test_lost_outcome_is_never_redialled(session_factory, world) -> None:
    dialer = ScriptedDialer(Outcome.UNKNOWN)
    p = placer(dialer, dialing_timeout_seconds=60)
    callbacks = services.callbacks(p.cfg, "US")
    with transaction(session_factory) as s:
        cid = callbacks.request(s, "+12025550143", source="ivr").id
    now = utcnow()
    assert p.run(session_factory, cid, now) is None
    assert p.run(session_factory, cid, now + dt.timedelta(seconds=30)) is None
    with transaction(session_factory) as s:
        assert row(s, Callback, cid).status is CallbackStatus.DIALING
        assert callbacks.close_stale(s, now + dt.timedelta(seconds=30), 60) == []
        assert callbacks.close_stale(s, now + dt.timedelta(seconds=61), 60) == [cid]
    with session_factory() as s:
        cb = s.get(Callback, cid)
        assert cb.status is CallbackStatus.FAILED and "never called twice" in cb.outcome_detail
    assert len(dialer.requests) == 1


def resolved_ticket(s, number: str = "+12025550111") -> int:
    call = Call(pbx="lab", linkedid=f"l-{number}", started_at=utcnow(), caller_number=number)
    s.add(call)
    s.flush()
    t = tickets.create(s, TEST, subject="fixed", call=call)
    tickets.change(s, t, TEST, status=TicketStatus.RESOLVED, reason="done")
    return t.id


def test_one_outbound_survey_per_resolved_ticket(session_factory) -> None:
    cfg = SurveySettings(delay_minutes=30, quiet_hours="")
    quiet = DailyWindow(cfg.quiet_hours, "UTC", inverted=True)
    with transaction(session_factory) as s:
        tid = resolved_ticket(s)
        first = surveys.schedule_for_resolved(s, tid, cfg, quiet)
        assert first is not None and surveys.schedule_for_resolved(s, tid, cfg, quiet) is None
        sid = first.id
    dialer = ScriptedDialer(Outcome.NO_ANSWER)
    placer_ = surveys.SurveyPlacer(cfg, dialer, quiet, "cc-survey-outbound", "customer", policy=services.policy())
    with session_factory() as s:
        due = s.get(Survey, sid).scheduled_at
    assert placer_.run(session_factory, sid, due - dt.timedelta(minutes=1)) == due
    assert placer_.run(session_factory, sid, due) is None
    assert placer_.run(session_factory, sid, due) is None
    assert len(dialer.requests) == 1
    req = dialer.requests[0]
    assert req.channel == "PJSIP/+12025550111@customer" and req.context == "cc-survey-outbound"
    assert req.variables["CC_SURVEY_ID"] == str(sid)
    with session_factory() as s:
        assert s.get(Survey, sid).status is SurveyStatus.NO_ANSWER


def test_quiet_hours_move_the_survey_call(session_factory) -> None:
    cfg = SurveySettings(delay_minutes=0, quiet_hours="20:00-09:00")
    quiet = DailyWindow(cfg.quiet_hours, "UTC", inverted=True)
    with transaction(session_factory) as s:
        survey = surveys.schedule_for_resolved(s, resolved_ticket(s), cfg, quiet)
        assert survey is not None
        sid = survey.id
    placer_ = surveys.SurveyPlacer(cfg, ScriptedDialer(), quiet, "cc-survey-outbound", "customer",
                                   policy=services.policy())
    night = utcnow().replace(hour=22, minute=0, second=0, microsecond=0)
    with transaction(session_factory) as s:
        row(s, Survey, sid).scheduled_at = night
    wake = placer_.run(session_factory, sid, night)
    assert wake == (night + dt.timedelta(days=1)).replace(hour=9)


def test_csat_per_agent_queue_and_category(session_factory, world) -> None:
    with transaction(session_factory) as s:
        for i, (agent, queue, category, score) in enumerate([
                ("ann", "support", "billing", 5), ("ann", "support", "billing", 4),
                ("bob", "sales", "general", 2), ("bob", "support", "general", 5)]):
            call = Call(pbx="lab", linkedid=f"c{i}", started_at=utcnow(), queue_name=queue)
            s.add(call)
            s.flush()
            t = tickets.create(s, TEST, subject="s", category=category, call=call)
            s.add(Survey(channel="ivr", call_id=call.id, ticket_id=t.id, agent_id=world[agent], score=score,
                         status=SurveyStatus.COMPLETED, completed_at=utcnow()))
    with session_factory() as s:
        by_agent = {r["key"]: r for r in surveys.csat(s, "agent")}
        assert by_agent[world["ann"]]["csat"] == 100.0 and by_agent[world["ann"]]["mean"] == 4.5
        assert by_agent[world["bob"]]["csat"] == 50.0 and by_agent[world["bob"]]["responses"] == 2
        by_queue = {r["key"]: r["responses"] for r in surveys.csat(s, "queue")}
        assert by_queue == {"sales": 1, "support": 3}
        by_cat = {r["key"]: r["csat"] for r in surveys.csat(s, "category")}
        assert by_cat == {"billing": 100.0, "general": 50.0}
        assert s.scalar(select(func.count()).select_from(Survey)) == 4
    assert Priority.URGENT  # the enum the SLA ladder climbs
