"""Toll fraud: the dialling policy refuses premium, satellite and foreign numbers everywhere we would dial.

Before the policy, an anonymous IVR caller or any agent token could book a
callback to +882..., +44 909..., +1 900... or +53... and the dispatcher
dialled it.  Each path is tried here: the policy itself, the REST API, the
IVR (a scripted Asterisk peer), the dispatcher's placing of callbacks and
surveys, and the AMI dialer as the last gate.  Every refusal is audited.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.dialling import DiallingPolicy
from callcenter.ami.link import LinkDown
from callcenter.config import AssignmentRules, CallbackSettings, PBXSettings, Settings, SurveySettings
from callcenter.db import transaction
from callcenter.dispatch.ami_dialer import AMIDialer, RoutedDialer
from callcenter.dispatch.assigner import Assigner
from callcenter.dispatch.calendar import DailyWindow
from callcenter.dispatch.dialer import DialRequest, DialResult, Outcome
from callcenter.dispatch.notifier import DispatchNotifier
from callcenter.dispatch.placing import CallbackPlacer
from callcenter.dispatch.surveys import SurveyPlacer
from callcenter.models import (
    AuditLog,
    Callback,
    CallbackSource,
    CallbackStatus,
    Customer,
    CustomerPhone,
    Survey,
    SurveyChannel,
    SurveyStatus,
    Ticket,
    TicketStatus,
    utcnow,
)
from tests.support import services
from tests.support.agi_peer import Asterisk, running_server, settled
from tests.support.ivr_data import seed

FRAUD = {
    "+88213123456": "denied_range",  # international network (satellite)
    "+449091234567": "country",  # a UK premium number, and the centre is in the US
    "+19005551234": "number_type",  # US premium rate
    "+5355512345": "country",  # Cuba
    "+15551230004": "country",  # not a valid number anywhere (the lab's fictional range)
}
GOOD = "+12025550143"


def _refusals(session_factory: Any) -> list[AuditLog]:
    with session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == "dial_refused").order_by(AuditLog.id)))


@pytest.mark.parametrize("number, code", sorted(FRAUD.items()))
def test_the_policy_refuses_what_toll_fraud_dials(number: str, code: str) -> None:
    refusal = services.policy("US").check(number)
    assert refusal is not None and refusal.code == code, refusal
    assert services.policy("US").check(GOOD) is None


def test_a_foreign_centre_still_refuses_premium_and_its_own_lab_range_only_with_the_lab(tmp_path) -> None:
    gb = DiallingPolicy(["GB"], [], ["+882"], ["PREMIUM_RATE"], 3)
    premium = gb.check("+449091234567")
    assert premium is not None and premium.code == "number_type"
    assert gb.check("+442079460000") is None  # London fixed line
    lab_on = DiallingPolicy.from_settings(Settings(instance_dir=tmp_path, lab={"enabled": True}))
    lab_off = DiallingPolicy.from_settings(Settings(instance_dir=tmp_path, lab={"enabled": False}))
    assert lab_on.check("+15551230004") is None and lab_off.check("+15551230004") is not None
    # An allowed prefix never opens a denied range.
    assert DiallingPolicy(["US"], ["+88"], ["+882"], [], 3).check("+88213123456") is not None


def test_the_api_refuses_with_a_reason_and_an_audit_row(client, shop, session_factory) -> None:
    headers = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    due = (utcnow() + dt.timedelta(hours=1)).isoformat()
    for number in FRAUD:
        resp = client.post("/api/v1/callbacks", json={"number": number, "due_at": due}, headers=headers)
        assert resp.status_code == 422, resp.get_json()
        body = resp.get_json()
        assert body["error"] == "refused" and body["fields"]["number"]
    with session_factory() as s:
        assert s.scalar(select(Callback.id)) is None  # nothing booked
    refusals = _refusals(session_factory)
    assert [(r.object_id, r.detail["reason"], r.actor_name, r.detail["via"]) for r in refusals] == \
        [(n, c, "ann", "api") for n, c in FRAUD.items()]
    ok = client.post("/api/v1/callbacks", json={"number": GOOD, "due_at": due}, headers=headers)
    assert ok.status_code == 201


def test_a_number_gets_a_few_callbacks_a_day(client, shop, session_factory) -> None:
    headers = {"Authorization": f"Bearer {shop.tokens['ann']}"}
    due = (utcnow() + dt.timedelta(hours=1)).isoformat()
    for _ in range(3):
        assert client.post("/api/v1/callbacks", json={"number": GOOD, "due_at": due},
                           headers=headers).status_code == 201
        with transaction(session_factory) as s:  # done: the next request is a new callback
            for cb in s.scalars(select(Callback)):
                cb.status = CallbackStatus.REACHED
    fourth = client.post("/api/v1/callbacks", json={"number": GOOD, "due_at": due}, headers=headers)
    assert fourth.status_code == 422 and "today" in fourth.get_json()["fields"]["number"]
    assert [r.detail["reason"] for r in _refusals(session_factory)] == ["daily_limit"]


class RecordingDialer:
    def __init__(self) -> None:
        self.requests: list[DialRequest] = []

    def dial(self, request: DialRequest) -> DialResult:
        self.requests.append(request)
        return DialResult(Outcome.REACHED, "answered")

    def close(self) -> None:
        pass


def test_the_dispatcher_never_places_a_refused_callback(session_factory) -> None:
    """A row written around the service (or before the policy changed) is closed, noted and audited, not dialled."""
    tickets = services.tickets()
    with transaction(session_factory) as s:
        ticket = tickets.create(s, services.TEST, subject="call me")
        now = utcnow()
        s.add(Callback(number="+19005551234", source=CallbackSource.IVR, due_at=now, next_attempt_at=now,
                       ticket_id=ticket.id))
    with session_factory() as s:
        cid = s.scalar(select(Callback.id))
        assert cid is not None
    dialer = RecordingDialer()
    cfg = CallbackSettings(calling_hours="", mode="customer_queue")
    placer = CallbackPlacer(cfg, Assigner(AssignmentRules(), tickets).engine, dialer, DailyWindow("", "UTC"),
                            "cc-callback", "customer", tickets=tickets, notifier=DispatchNotifier(None),
                            policy=services.policy())
    assert placer.run(session_factory, cid, utcnow()) is None
    assert dialer.requests == []
    with session_factory() as s:
        cb = s.get(Callback, cid)
        assert cb is not None and cb.status is CallbackStatus.FAILED and "dialling policy" in (cb.outcome_detail or "")
        notes = [n.body for n in s.scalars(select(Ticket)).one().notes]
        assert any("not placed" in n for n in notes)
    assert [r.detail["purpose"] for r in _refusals(session_factory)] == ["callback"]


def test_a_survey_to_a_refused_number_is_not_dialled(session_factory) -> None:
    tickets = services.tickets()
    with transaction(session_factory) as s:
        customer = Customer(name="P", phones=[CustomerPhone(number="+19005551234")])
        s.add(customer)
        s.flush()
        ticket = tickets.create(s, services.TEST, subject="done", customer_id=customer.id)
        tickets.change(s, ticket, services.TEST, status=TicketStatus.RESOLVED)
        s.add(Survey(channel=SurveyChannel.OUTBOUND, ticket_id=ticket.id, customer_id=customer.id,
                     scheduled_at=utcnow() - dt.timedelta(minutes=1)))
    with session_factory() as s:
        sid = s.scalar(select(Survey.id))
        assert sid is not None
    dialer = RecordingDialer()
    placer = SurveyPlacer(SurveySettings(), dialer, DailyWindow("", "UTC", inverted=True), "cc-survey-outbound",
                          "customer", policy=services.policy())
    placer.run(session_factory, sid, utcnow())
    assert dialer.requests == []
    with session_factory() as s:
        survey = s.get(Survey, sid)
        assert survey is not None and survey.status is SurveyStatus.FAILED
    assert [r.detail["purpose"] for r in _refusals(session_factory)] == ["survey"]


def test_the_ami_dialer_refuses_before_any_originate() -> None:
    """The last gate: whoever built the request, a refused number never reaches Asterisk."""
    dialer = AMIDialer(PBXSettings(name="nowhere", host="127.0.0.1", port=9), Settings().ami, services.policy())
    try:
        direct = DialRequest(key="callback:1:attempt:1", channel="PJSIP/+88213123456@customer", context="cc-queue")
        via_agent = DialRequest(key="callback:2:attempt:1", channel="PJSIP/agent1001", context="cc-callback",
                                variables={"CC_CALLBACK_NUMBER": "+19005551234"})
        for request in (direct, via_agent):
            result = dialer.dial(request)
            assert result.outcome is Outcome.FAILED and not result.sent and "dialling policy" in result.detail
    finally:
        dialer.close()


# -- the IVR -------------------------------------------------------------------------------------
def test_the_ivr_refuses_a_premium_number_and_takes_another(container) -> None:
    seed(container.session_factory)
    with running_server(container.settings, container.session_factory) as server:
        # 1 = the calling number (premium: refused), then 2025550199 keyed instead.
        result = Asterisk("callback", {"CALLERID(num)": "+19005551234"}, ["1", "2025550199"]).run(server.port)
        settled(server)
    assert result.violations == [] and "callcenter/callback-number-refused" in result.played
    assert result.played[-1] == "callcenter/callback-registered"
    with container.session_factory() as s:
        assert list(s.scalars(select(Callback.number))) == ["+12025550199"]
    [refusal] = _refusals(container.session_factory)
    assert (refusal.object_id, refusal.actor_name, refusal.detail["reason"]) == ("+19005551234", "ivr", "number_type")


def test_the_ivr_sends_a_number_over_its_daily_allowance_to_an_agent(container) -> None:
    seed(container.session_factory)
    now = utcnow()
    with transaction(container.session_factory) as s:
        for _ in range(3):
            s.add(Callback(number="+12025550143", source=CallbackSource.IVR, due_at=now,
                           status=CallbackStatus.REACHED))
    with running_server(container.settings, container.session_factory) as server:
        result = Asterisk("callback", {"CALLERID(num)": "2025550143"}, ["1"]).run(server.port)
        settled(server)
    assert result.played[-1] == "callcenter/callback-limit" and result.variables["CC_IVR_PATH"] == "queue"
    with container.session_factory() as s:
        assert s.scalar(select(Callback.id).where(Callback.status == CallbackStatus.PENDING)) is None
    assert [r.detail["reason"] for r in _refusals(container.session_factory)] == ["daily_limit"]


def test_a_request_goes_through_the_pbx_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """A callback goes back through the PBX its call came in on; with that link down it takes one that is up."""
    ami = Settings().ami.model_copy(update={"backoff_base": 5.0})
    dialers = {name: AMIDialer(PBXSettings(name=name, host="127.0.0.1", port=9), ami, services.policy())
               for name in ("lab", "b")}
    routed = RoutedDialer(dialers, "lab")
    try:
        request = DialRequest(key="callback:7:attempt:1", channel="PJSIP/+12025550123@customer", context="cc-queue",
                              pbx="b")
        monkeypatch.setattr(dialers["b"], "wait_ready", _down)
        monkeypatch.setattr(dialers["lab"], "wait_ready", _down)
        assert "AMI link to b is down" in routed.dial(request).detail  # both down: the one it names
        monkeypatch.setattr(dialers["lab"], "connected", lambda: True)
        assert "AMI link to lab is down" in routed.dial(request).detail  # b down, lab up: through the lab
        unnamed = DialRequest(key="survey:1", channel="PJSIP/+12025550123@customer", context="cc-survey-outbound")
        assert "AMI link to lab is down" in routed.dial(unnamed).detail  # the default
    finally:
        routed.close()


async def _down(seconds: float = 0.0) -> None:
    raise LinkDown("down")
