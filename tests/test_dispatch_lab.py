"""Callbacks through the real lab Asterisk: the dispatcher's own AMI link, SIPp phones.

The dispatcher service runs in this process with its real scheduler and
its real AMI dialer; the agent (agent1001 on 5091) and the customer (5099)
are SIPp user agents.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter import migrations
from callcenter.access.dialling import DiallingPolicy
from callcenter.config import Settings
from callcenter.db import make_engine, make_session_factory, transaction
from callcenter.dispatch.service import DispatcherService
from callcenter.models import AgentProfile, Callback, CallbackAttempt, CallbackStatus, Role, TicketNote, User
from tests.support import services
from tests.support.services import TEST
from tests.support.sipp import Agent, _Sipp, customer

pytestmark = pytest.mark.pbx

# A customer phone that rings and never answers (it takes the CANCEL politely).
NO_ANSWER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="customer rings, never answers">
  <recv request="INVITE" crlf="true">
    <action><ereg regexp="CSeq: ([0-9]+)" search_in="msg" assign_to="whole,cseq"/></action>
  </recv>
  <Reference variables="whole"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <recv request="CANCEL"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$cseq] INVITE
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
"""


class Ringing(_Sipp):
    def __init__(self, workdir: Path, calls: int) -> None:
        super().__init__(workdir, "ringing-customer")
        scenario = self.workdir / "no-answer.xml"
        scenario.write_text(NO_ANSWER)
        self.args = ["-sf", str(scenario), "-i", "127.0.0.1", "-p", "5099", "-m", str(calls), "-timeout", "120s"]

    def __enter__(self) -> Ringing:
        self._start(self.args)
        time.sleep(0.3)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_dispatcher(tmp_path: Path, **dispatch: object):
    settings = Settings(instance_dir=tmp_path / "instance", database={"url": f"sqlite:///{tmp_path / 'd.db'}"},
                        dispatch=dispatch)
    assert settings.pbxes() and settings.pbxes()[0].secret.get_secret_value(), "lab AMI secret missing"
    engine = make_engine(settings.database)
    migrations.upgrade(engine)
    factory = make_session_factory(engine)
    # The lab's customer numbers (+1 555 123 ...) are allowed by the policy while the lab is enabled.
    callbacks = services.callbacks(settings.dispatch.callbacks, "US", dialling=DiallingPolicy.from_settings(settings))
    service = DispatcherService(settings, engine, factory, None, callbacks)
    return settings, engine, factory, service


def wait_status(factory, cid: int, timeout: float, done=(CallbackStatus.REACHED, CallbackStatus.FAILED)):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as s:
            cb = s.get(Callback, cid)
            if cb.status in done:
                return cb
        time.sleep(0.3)
    raise AssertionError(f"callback {cid} still {cb.status.value} after {timeout}s: {cb.outcome_detail}")


@pytest.mark.timeout(180)
def test_due_callback_rings_the_agent_then_the_customer(lab_pbx, tmp_path) -> None:
    _, engine, factory, service = start_dispatcher(
        tmp_path, callbacks={"mode": "agent_first", "calling_hours": "", "agent_ring_seconds": 15,
                             "customer_ring_seconds": 15},
        scheduler={"reconcile_seconds": 1, "leader_poll_seconds": 0.2})
    with transaction(factory) as s:
        user = User(username="alice", display_name="Alice", role=Role.AGENT, password_hash="x")
        s.add(user)
        s.flush()
        s.add(AgentProfile(user_id=user.id, sip_interface="PJSIP/agent1001", languages=["en"]))
        tid = service.callbacks.tickets.create(s, TEST, subject="please call me back").id
        cid = service.callbacks.request(s, "+15551230042", source="agent", ticket_id=tid,
                                        requested_by_id=user.id).id
    with Agent(tmp_path, 1001, talk_ms=3000) as agent, customer(tmp_path) as phone:
        service.start()
        try:
            cb = wait_status(factory, cid, 60)
            assert cb.status is CallbackStatus.REACHED, cb.outcome_detail
            agent_result, customer_result = agent.wait(30), phone.wait(30)
        finally:
            service.stop()
    assert agent_result.ok, str(agent_result)
    assert customer_result.ok, str(customer_result)
    with factory() as s:
        attempt = s.scalar(select(CallbackAttempt).where(CallbackAttempt.callback_id == cid))
        assert attempt.outcome == "reached" and attempt.agent_id == user.id
        assert "customer ANSWER" in attempt.detail and attempt.action_id.startswith("cc-orig-")
        notes = s.scalars(select(TicketNote.body).where(TicketNote.ticket_id == tid)).all()
        assert any("attempt 1/3: reached" in n for n in notes)
    engine.dispose()


@pytest.mark.timeout(180)
def test_customer_who_never_answers_is_retried_then_failed(lab_pbx, tmp_path) -> None:
    _, engine, factory, service = start_dispatcher(
        tmp_path, callbacks={"mode": "customer_queue", "calling_hours": "", "customer_ring_seconds": 4,
                             "max_attempts": 2, "retry_delays": [2]},
        scheduler={"reconcile_seconds": 1, "leader_poll_seconds": 0.2})
    with transaction(factory) as s:
        tid = service.callbacks.tickets.create(s, TEST, subject="call me").id
        cid = service.callbacks.request(s, "+15551230043", source="ivr", ticket_id=tid).id
    with Ringing(tmp_path, calls=2) as phone:
        service.start()
        try:
            cb = wait_status(factory, cid, 90, done=(CallbackStatus.FAILED, CallbackStatus.REACHED))
        finally:
            service.stop()
        rang = phone.wait(15)
    assert cb.status is CallbackStatus.FAILED and cb.attempts == 2, cb.outcome_detail
    assert rang.ok, str(rang)  # the phone really rang twice
    with factory() as s:
        attempts = s.scalars(select(CallbackAttempt).where(CallbackAttempt.callback_id == cid)
                             .order_by(CallbackAttempt.attempt)).all()
        assert [a.outcome for a in attempts] == ["no_answer", "no_answer"], [a.detail for a in attempts]
        assert (attempts[1].started_at - attempts[0].ended_at).total_seconds() >= 1.5  # the retry delay
        notes = s.scalars(select(TicketNote.body).where(TicketNote.ticket_id == tid)).all()
        assert any("no attempts left, callback failed" in n for n in notes)
    engine.dispose()
