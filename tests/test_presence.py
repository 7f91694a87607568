"""Agent presence on SQLite and PostgreSQL: transitions, history spans, reasons, wrap-up, dispatcher eligibility.

Asterisk's side is played by ``Members``, which answers QueueAdd/QueueRemove/
QueuePause as app_queue does (already there, not dynamic, not found); the
real lab Asterisk answers the same in tests/test_presence_lab.py.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import re
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.bus import Message
from callcenter.config import AssignmentRules, PresenceSettings
from callcenter.db import transaction
from callcenter.dispatch.assigner import Assigner
from callcenter.dispatch.load import build_snapshot
from callcenter.events import AgentStateChanged
from callcenter.models import (
    AgentPresence,
    AgentQueue,
    AuditLog,
    Call,
    FormSubmission,
    PresenceSpan,
    PresenceState,
    Queue,
    SubmissionStatus,
    Ticket,
    User,
    utcnow,
)
from callcenter.presence.errors import PresenceError, PresenceUnavailable
from callcenter.presence.service import PresenceService
from callcenter.reporting.figures import ReportFilter

from .support import rows, services
from .webtools import csrf_token, sign_in

ANN_PHONE = "PJSIP/agent1001"


@dataclass
class Member:
    dynamic: bool
    paused: bool = False
    reason: str = ""
    penalty: int = 0


@dataclass
class Members:
    """Queue members as app_queue keeps them; ``down`` makes every action fail like a dropped link."""

    members: dict[tuple[str, str], Member] = field(default_factory=dict)
    sent: list[tuple[str, ...]] = field(default_factory=list)
    down: bool = False

    async def queue_add(self, queue: str, interface: str, member_name: str = "", *, paused: bool = False,
                        reason: str = "", penalty: int = 0) -> bool:
        self._check("QueueAdd", queue, interface)
        if (queue, interface) in self.members:
            return False
        self.members[(queue, interface)] = Member(True, paused, reason, penalty)
        return True

    async def queue_remove(self, queue: str, interface: str) -> bool:
        self._check("QueueRemove", queue, interface)
        member = self.members.get((queue, interface))
        if member is None or not member.dynamic:
            return False
        del self.members[(queue, interface)]
        return True

    async def queue_pause(self, interface: str, paused: bool, queue: str | None = None, reason: str = "") -> None:
        self._check("QueuePause", queue or "", interface, str(paused), reason)
        found = [m for (q, i), m in self.members.items() if i == interface and queue in (None, q)]
        if not found:
            raise RuntimeError("QueuePause refused: Interface not found")
        for m in found:
            m.paused, m.reason = paused, reason

    async def queue_penalty(self, interface: str, penalty: int, queue: str) -> None:
        self._check("QueuePenalty", queue, interface, str(penalty))
        self.members[(queue, interface)].penalty = penalty

    async def queue_members(self, interface: str | None = None) -> list[dict[str, str]]:
        """As QueueStatus's QueueMember events say them."""
        self._check("QueueStatus", interface or "")
        return [{"Queue": q, "Location": i, "Membership": "dynamic" if m.dynamic else "static",
                 "Penalty": str(m.penalty), "Paused": "1" if m.paused else "0", "PausedReason": m.reason}
                for (q, i), m in self.members.items() if interface in (None, i)]

    def _check(self, *action: str) -> None:
        if self.down:
            raise ConnectionError("the AMI link to lab is down; nothing was sent")
        self.sent.append(action)

    def link(self, pbx: str, work: Any) -> Any:
        """Like PBXControl.act: the work runs on another thread's event loop (Playwright holds this one's)."""
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, work(self)).result(10)


@pytest.fixture
def pbx() -> Members:
    return Members()


@pytest.fixture
def presence(container, pbx: Members) -> PresenceService:
    service: PresenceService = container.presence
    service.link = pbx.link
    service.pbx = "lab"
    return service


def _ann(s: Any, shop: Any) -> Actor:
    return Actor.of(rows.row(s, User, shop.users["ann"]))


def _spans(s: Any, user_id: int) -> list[tuple[str, str | None, bool]]:
    return [(p.state.value, p.reason, p.ended_at is None) for p in
            s.scalars(select(PresenceSpan).where(PresenceSpan.user_id == user_id).order_by(PresenceSpan.id))]


def test_sign_in_pause_available_sign_out_keep_history(container, shop, presence, pbx) -> None:
    seen: list[AgentStateChanged] = []
    container.bus.subscribe(AgentStateChanged, lambda m: seen.append(m.event))
    with transaction(container.session_factory) as s:
        row = presence.sign_in(s, _ann(s, shop), "desk", ["support"])
        assert (row.state, row.phone, row.queues, row.pbx) == (PresenceState.AVAILABLE, ANN_PHONE, ["support"], "lab")
    assert pbx.members[("support", ANN_PHONE)] == Member(True, False, "")
    with transaction(container.session_factory) as s:
        presence.pause(s, _ann(s, shop), "lunch")
    assert pbx.members[("support", ANN_PHONE)] == Member(True, True, "lunch")
    with transaction(container.session_factory) as s:
        presence.available(s, _ann(s, shop))
    assert not pbx.members[("support", ANN_PHONE)].paused
    with transaction(container.session_factory) as s:
        presence.sign_out(s, _ann(s, shop))
    assert ("support", ANN_PHONE) not in pbx.members
    with container.session_factory() as s:
        assert _spans(s, shop.users["ann"]) == [("available", None, False), ("paused", "lunch", False),
                                                ("available", None, False)]
        row = s.get(AgentPresence, shop.users["ann"])
        assert row.state is PresenceState.SIGNED_OUT and row.queues == []
        actions = s.scalars(select(AuditLog.action).where(AuditLog.action.like("presence_%"))
                            .order_by(AuditLog.id)).all()
        assert actions == ["presence_sign_in", "presence_pause", "presence_available", "presence_sign_out"]
    deadline = time.monotonic() + 5
    while len(seen) < 4 and time.monotonic() < deadline:  # the bus hands events over on its own thread
        time.sleep(0.02)
    assert [(e.state, e.paused_reason, e.source, e.agent_id) for e in seen] == [
        ("available", None, "desk", shop.users["ann"]), ("paused", "lunch", "desk", shop.users["ann"]),
        ("available", None, "desk", shop.users["ann"]), ("signed_out", None, "desk", shop.users["ann"])]


def test_bad_requests_say_what_is_wrong_and_change_nothing(container, shop, presence, pbx) -> None:
    with transaction(container.session_factory) as s:
        ann = _ann(s, shop)
        with pytest.raises(PresenceError, match="sign in to your queues first"):
            presence.pause(s, ann, "lunch")
        with pytest.raises(PresenceError, match="choose at least one queue") as empty:
            presence.sign_in(s, ann, "desk", [])
        assert empty.value.field == "queues"
        with pytest.raises(PresenceError, match="not one of your queues: sales"):
            presence.sign_in(s, ann, "desk", ["support", "sales"])
        with pytest.raises(PresenceError, match="no browser phone"):
            presence.sign_in(s, ann, "browser", ["support"])
        with pytest.raises(PresenceError, match="phone must be one of"):
            presence.sign_in(s, ann, "PJSIP/agent1002", ["support"])
        presence.sign_in(s, ann, "desk", ["support"])
        with pytest.raises(PresenceError, match="unknown pause reason 'nap'; choose one of lunch") as bad:
            presence.pause(s, ann, "nap")
        assert bad.value.field == "reason"
        with pytest.raises(PresenceError, match="not in wrap-up"):
            presence.ready(s, ann)
        sue = Actor.of(rows.row(s, User, shop.users["sue"]))
        with pytest.raises(PresenceError, match="only agents"):
            presence.sign_in(s, sue, "desk", ["support"])
    with container.session_factory() as s:
        assert s.get(AgentPresence, shop.users["ann"]).state is PresenceState.AVAILABLE


def test_link_down_changes_nothing(container, shop, presence, pbx) -> None:
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
    pbx.down = True
    with pytest.raises(PresenceUnavailable, match="nothing was changed"), \
            transaction(container.session_factory) as s:
        presence.pause(s, _ann(s, shop), "training")
    with container.session_factory() as s:
        assert s.get(AgentPresence, shop.users["ann"]).state is PresenceState.AVAILABLE
        assert _spans(s, shop.users["ann"]) == [("available", None, True)]


def test_a_static_member_is_paused_not_removed(container, shop, presence, pbx) -> None:
    pbx.members[("support", ANN_PHONE)] = Member(dynamic=False, paused=True, reason="old")
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
    assert pbx.members[("support", ANN_PHONE)] == Member(False, False, "")  # already there: unpaused
    with transaction(container.session_factory) as s:
        presence.sign_out(s, _ann(s, shop))
    assert pbx.members[("support", ANN_PHONE)] == Member(False, True, "signed-out")


def test_wrap_up_from_answer_to_form_or_deadline(container, shop, presence, pbx) -> None:
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
    with transaction(container.session_factory) as s:  # the bridge: AgentConnect
        assert presence.call_answered(s, "lab", ANN_PHONE) is not None
        assert presence.call_answered(s, "lab", "PJSIP/agent1002") is None  # not desk-managed
    assert pbx.members[("support", ANN_PHONE)] == Member(True, True, "wrap-up")  # held while still talking
    with transaction(container.session_factory) as s:  # AgentComplete
        row = presence.call_completed(s, "lab", ANN_PHONE, "no-such-call")
        assert row.state is PresenceState.WRAP_UP
        assert 25 <= (row.wrapup_until - utcnow()).total_seconds() <= 30
    with transaction(container.session_factory) as s:  # the form is in: wrap-up over
        presence.form_submitted(s, shop.users["ann"])
    assert pbx.members[("support", ANN_PHONE)] == Member(True, False, "")
    with transaction(container.session_factory) as s:  # the next call's wrap-up runs out
        presence.call_answered(s, "lab", ANN_PHONE)
        presence.call_completed(s, "lab", ANN_PHONE, "x")
        assert presence.expire_wrapups(s, "lab") == []
        rows.row(s, AgentPresence, shop.users["ann"]).wrapup_until = utcnow() - dt.timedelta(seconds=1)
    with transaction(container.session_factory) as s:
        assert presence.expire_wrapups(s, "lab") == [shop.users["ann"]]
    assert not pbx.members[("support", ANN_PHONE)].paused
    with container.session_factory() as s:
        assert [x[0] for x in _spans(s, shop.users["ann"])] == [
            "available", "on_call", "wrap_up", "available", "on_call", "wrap_up", "available"]


def test_no_wrap_up_when_the_form_was_in_before_the_call_ended(container, shop, presence, pbx) -> None:
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
        presence.call_answered(s, "lab", ANN_PHONE)
        call = rows.row(s, Call, shop.call_id)
        s.add(FormSubmission(idempotency_key="k1", form_id=_form(s), call_id=call.id, agent_id=shop.users["ann"],
                             status=SubmissionStatus.SUBMITTED))
    with transaction(container.session_factory) as s:
        row = presence.call_completed(s, "lab", ANN_PHONE, call.linkedid)
        assert row.state is PresenceState.AVAILABLE
    assert not pbx.members[("support", ANN_PHONE)].paused


def test_no_ticket_needed_ends_the_wrap_up_like_a_form(container, shop, presence, pbx) -> None:
    """Closing the call without a ticket is the agent's end of it too: during the call, no wrap-up
    follows; during the wrap-up, it ends."""
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
        presence.call_answered(s, "lab", ANN_PHONE)
        container.intake.no_ticket(s, rows.row(s, Call, shop.call_id), _ann(s, shop), "wrong_number")
    with transaction(container.session_factory) as s:
        assert presence.call_completed(s, "lab", ANN_PHONE, "1700000000.1").state is PresenceState.AVAILABLE
    with transaction(container.session_factory) as s:  # the next call: no ticket needed, after it ended
        presence.call_answered(s, "lab", ANN_PHONE)
        assert presence.call_completed(s, "lab", ANN_PHONE, "1700000000.9").state is PresenceState.WRAP_UP
        container.intake.no_ticket(s, rows.row(s, Call, shop.other_call_id), _ann(s, shop), "silent_call")
    with container.session_factory() as s:
        assert rows.row(s, AgentPresence, shop.users["ann"]).state is PresenceState.AVAILABLE
    assert not pbx.members[("support", ANN_PHONE)].paused


def _form(s: Any) -> int:
    from callcenter.forms import catalog

    catalog.sync_files(s)
    form = catalog.latest(s, "support")
    assert form is not None
    return form.id


def test_reapply_after_asterisk_lost_its_members(container, shop, presence, pbx) -> None:
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
        presence.pause(s, _ann(s, shop), "meeting")
    pbx.members.clear()  # Asterisk restarted (persistentmembers = no)
    with transaction(container.session_factory) as s:
        assert presence.reapply(s, "lab") == 1
    assert pbx.members[("support", ANN_PHONE)] == Member(True, True, "meeting")


def test_dispatcher_skips_signed_out_and_paused_without_tickets(container, shop, presence, pbx) -> None:
    rules, now = AssignmentRules(), utcnow()
    settings = PresenceSettings()

    def active() -> dict[str, bool]:
        with container.session_factory() as s:
            snap = build_snapshot(s, rules, None, now, settings)
            return {name: snap.agents[shop.users[name]].active for name in ("ann", "bob")}

    assert active() == {"ann": True, "bob": True}  # no presence rows: as before
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
        presence.pause(s, _ann(s, shop), "lunch")
    assert active() == {"ann": False, "bob": True}
    with transaction(container.session_factory) as s:
        presence.pause(s, _ann(s, shop), "back_office")
    assert active() == {"ann": True, "bob": True}
    with transaction(container.session_factory) as s:
        presence.sign_out(s, _ann(s, shop))
    assert active() == {"ann": False, "bob": True}
    # A ticket the dispatcher assigns goes to bob, not to the signed-out ann.
    assigner = Assigner(rules, services.tickets(), None, settings)
    with transaction(container.session_factory) as s:
        ticket = container.tickets.create(s, services.TEST, subject="Needs someone")
        decision = assigner.assign(s, ticket.id, now)
        assert decision is not None and decision.agent_id == shop.users["bob"]
        assert rows.row(s, Ticket, ticket.id).assignee_id == shop.users["bob"]


def test_time_in_state_clips_spans_to_the_period(container, shop) -> None:
    from callcenter.reporting.presence import time_in_state

    t0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    uid = shop.users["ann"]
    with transaction(container.session_factory) as s:
        s.add_all([
            PresenceSpan(user_id=uid, state=PresenceState.AVAILABLE, started_at=t0 - dt.timedelta(hours=1),
                         ended_at=t0 + dt.timedelta(minutes=30)),
            PresenceSpan(user_id=uid, state=PresenceState.PAUSED, reason="lunch",
                         started_at=t0 + dt.timedelta(minutes=30), ended_at=t0 + dt.timedelta(minutes=75)),
            PresenceSpan(user_id=uid, state=PresenceState.WRAP_UP, started_at=t0 + dt.timedelta(minutes=75),
                         ended_at=t0 + dt.timedelta(minutes=76)),
            PresenceSpan(user_id=uid, state=PresenceState.PAUSED, reason="back_office",
                         started_at=t0 + dt.timedelta(minutes=76), ended_at=None)])
    f = ReportFilter(start=t0, end=t0 + dt.timedelta(hours=2))
    with container.session_factory() as s:
        [row] = time_in_state(s, f, now=t0 + dt.timedelta(hours=3))
    assert row["agent"] == "ann"
    assert (row["available"], row["paused"], row["wrap_up"], row["on_call"]) == (1800, 2700 + 44 * 60, 60, 0)
    assert row["reasons"] == {"lunch": 2700, "back_office": 44 * 60}
    assert row["signed_in"] == 7200


def test_desk_routes_need_csrf_and_show_the_state(container, shop, app, presence, pbx) -> None:
    client = app.test_client()
    sign_in(client, "ann", "correct-horse-1")
    token = csrf_token(client, "/desk/")
    assert client.post("/desk/state/sign-in", json={"phone": "desk", "queues": ["support"]}).status_code == 400
    headers = {"X-CSRFToken": token}
    resp = client.post("/desk/state/sign-in", json={"phone": "desk", "queues": ["support"]}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "available" and resp.get_json()["queues"] == ["support"]
    resp = client.post("/desk/state/pause", json={"reason": "nap"}, headers=headers)
    assert resp.status_code == 422 and resp.get_json()["field"] == "reason"
    resp = client.post("/desk/state/pause", json={"reason": "training"}, headers=headers)
    assert resp.get_json()["state"] == "paused" and resp.get_json()["reason_label"] == "Training"
    state = client.get("/desk/state").get_json()
    assert state["options"] == {"phones": ["desk"], "queues": ["support"], "pause_codes": [
        {"code": c, "label": lbl} for c, lbl in (("lunch", "Lunch"), ("break", "Break"), ("training", "Training"),
                                                 ("meeting", "Meeting"), ("back_office", "Back office"))]}
    client.post("/language", data={"lang": "zh", "csrf_token": token})
    assert client.get("/desk/state").get_json()["reason_label"] == "培训"
    resp = client.post("/desk/state/sign-in", json={"phone": "browser", "queues": ["support"]}, headers=headers)
    assert resp.status_code == 422 and resp.get_json() == {"error": "您还没有配置浏览器电话。", "field": "phone"}
    pbx.down = True
    resp = client.post("/desk/state/available", headers=headers)
    assert resp.status_code == 503 and resp.get_json()["error"] == "电话系统未能执行，未做任何更改。请稍后再试。"
    assert "link to lab is down" in resp.get_json()["detail"]


def test_wallboard_shows_what_agents_declared(container, shop, presence, pbx) -> None:
    from web.wallboard.state import Wallboard

    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
        presence.pause(s, _ann(s, shop), "lunch")
    board = Wallboard(container.bus, container.session_factory)
    board.on_agent_state(Message(AgentStateChanged(pbx="lab", interface=ANN_PHONE, state="paused", source="desk")))
    assert board._agents == {}  # the desk's events are read from the table, not kept as the phone's state
    ann = next(a for a in board.snapshot()["agents"] if a["name"] == "ann")
    assert (ann["presence"], ann["reason"]) == ("paused", "lunch") and ann["presence_since"] is not None
    bob = next(a for a in board.snapshot()["agents"] if a["name"] == "bob")
    assert bob["presence"] is None  # never signed in at the desk


def test_reports_page_and_csv_show_time_in_state(container, shop, app) -> None:
    day = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    uid = shop.users["ann"]
    with transaction(container.session_factory) as s:
        s.add_all([PresenceSpan(user_id=uid, state=PresenceState.AVAILABLE, started_at=day,
                                ended_at=day + dt.timedelta(minutes=50)),
                   PresenceSpan(user_id=uid, state=PresenceState.PAUSED, reason="lunch",
                                started_at=day + dt.timedelta(minutes=50), ended_at=day + dt.timedelta(minutes=80))])
    client = app.test_client()
    sign_in(client, "ada", "correct-horse-1")
    page = client.get("/reports/?from=2026-11-30&to=2026-11-30").get_data(as_text=True)
    assert "Time in each state per agent" in page and 'id="chart-presence"' in page
    table = page[page.index('id="presence-table"'):]
    # Durations, not times of day: 80 minutes is "1 h 20 min", never "80:00".
    assert "<td>ann</td><td>1 h 20 min</td><td>50 min</td>" in table and "Lunch 30 min" in table
    csv_text = client.get("/reports/export/presence.csv?from=2026-11-30&to=2026-11-30").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert lines[0].strip() == ("agent,signed_in_seconds,available_seconds,on_call_seconds,wrap_up_seconds,"
                                "paused_seconds,paused_by_reason")
    assert lines[1].strip() == "ann,4800,3000,0,0,1800,lunch=1800"


@pytest.mark.browser
def test_wallboard_in_chromium_shows_state_reason_and_since(browser, live_server, live_container, tmp_path) -> None:
    from .deskdata import PASSWORD, build
    from .support.browser import sign_in as browser_sign_in

    shop = build(live_container.session_factory, tmp_path / "recordings")
    pbx = Members()
    live_container.presence.link = pbx.link
    with transaction(live_container.session_factory) as s:
        live_container.presence.sign_in(s, _ann(s, shop), "desk", ["support"])
        live_container.presence.pause(s, _ann(s, shop), "lunch")
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    browser_sign_in(page, live_server, "sue", PASSWORD)
    page.goto(f"{live_server}/wallboard/")
    cell = page.wait_for_selector(".wb-presence.presence-paused", timeout=10000)
    assert re.fullmatch(r"Paused · Lunch · \d+ s", cell.inner_text())  # a duration, not "0:03"
    page.close()


def test_browser_phone_and_changing_phone_or_queues_while_signed_in(container, shop, presence, pbx) -> None:
    with transaction(container.session_factory) as s:
        ann = rows.row(s, User, shop.users["ann"])
        assert ann.agent is not None
        ann.agent.extension = "1001"
        s.add(AgentQueue(agent_id=ann.agent.id, queue_id=s.scalar(select(Queue.id).where(Queue.name == "sales")),
                         penalty=2))
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support", "sales"])
        presence.pause(s, _ann(s, shop), "training")
    assert set(pbx.members) == {("support", ANN_PHONE), ("sales", ANN_PHONE)}
    with transaction(container.session_factory) as s:  # on to the browser softphone, in support only
        row = presence.sign_in(s, _ann(s, shop), "browser", ["support"])
        assert (row.phone, row.queues, row.state, row.reason) == ("PJSIP/webrtc1001", ["support"],
                                                                  PresenceState.PAUSED, "training")
    assert pbx.members == {("support", "PJSIP/webrtc1001"): Member(True, True, "training")}
    with container.session_factory() as s:  # still one paused span: the pause went on across the change
        assert _spans(s, shop.users["ann"]) == [("available", None, False), ("paused", "training", True)]


def test_no_pbx_configured_is_a_clear_refusal_not_a_500(container, shop, app) -> None:
    """A centre without any Asterisk configured (the lab off, no [[pbx]]): signing in to queues says the
    phone system did not take it, in the agent's language, and changes nothing (it was a 500)."""
    client = app.test_client()
    sign_in(client, "ann", "correct-horse-1")
    token = csrf_token(client, "/desk/")
    resp = client.post("/desk/state/sign-in", json={"phone": "desk", "queues": ["support"]},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.get_json()["error"].startswith("The phone system did not take it")
    assert "no PBX" in resp.get_json()["detail"]
    with container.session_factory() as s:
        assert s.get(AgentPresence, shop.users["ann"]) is None


# -- an admin changes a signed-in agent's queues (callcenter.people.profiles) -----------------------
def _queues(container: Any, shop: Any, wanted: dict[str, int]) -> None:
    from callcenter.people.profile_values import ProfileChange

    with transaction(container.session_factory) as s:
        container.profiles.update(s, shop.users["ann"], ProfileChange(queues=wanted), services.TEST)


def test_an_admin_change_of_queues_reaches_the_row_then_asterisk(container, shop, presence, pbx) -> None:
    ann = shop.users["ann"]
    pbx.members[("billing", ANN_PHONE)] = Member(dynamic=False)  # a static member elsewhere: never removed
    with transaction(container.session_factory) as s:
        s.add(Queue(name="billing"))
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
        presence.pause(s, _ann(s, shop), "lunch")
    _queues(container, shop, {"sales": 2})  # sales added, support taken away
    with container.session_factory() as s:
        row = rows.row(s, AgentPresence, ann)
        assert (row.state, row.queues) == (PresenceState.PAUSED, ["sales"])
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "presence_queues_changed")).one()
        assert (audit.detail["old"], audit.detail["new"]) == (["support"], ["sales"])
    assert ("support", ANN_PHONE) in pbx.members  # the database first; Asterisk follows the bridge's keeper
    with transaction(container.session_factory) as s:
        presence.follow_profile(s, "lab", ann)
    assert pbx.members == {("sales", ANN_PHONE): Member(True, True, "lunch", 2), ("billing", ANN_PHONE): Member(False)}

    _queues(container, shop, {"sales": 5})  # only the penalty: the row stays, Asterisk's penalty follows
    with transaction(container.session_factory) as s:
        presence.follow_profile(s, "lab", ann)
    assert pbx.members[("sales", ANN_PHONE)].penalty == 5 and ("QueuePenalty", "sales", ANN_PHONE, "5") in pbx.sent

    _queues(container, shop, {})  # no queue left: signed out, and out of every queue we put them in
    with transaction(container.session_factory) as s:
        presence.follow_profile(s, "lab", ann)
    assert pbx.members == {("billing", ANN_PHONE): Member(False)}
    with container.session_factory() as s:
        assert rows.row(s, AgentPresence, ann).state is PresenceState.SIGNED_OUT


def test_the_bridge_keeper_follows_the_event_and_a_reconnect_uses_the_new_queues(container, shop, presence,
                                                                                  pbx) -> None:
    from callcenter.presence.keeper import Keeper

    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
    keeper = Keeper("lab", presence, container.session_factory, container.bus)
    keeper.start()
    try:
        _queues(container, shop, {"support": 0, "sales": 1})
        deadline = time.monotonic() + 5
        while ("sales", ANN_PHONE) not in pbx.members and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pbx.members[("sales", ANN_PHONE)] == Member(True, False, "", 1)
        pbx.members.clear()  # Asterisk restarted while ...
        keeper.stop()
        _queues(container, shop, {"sales": 1})  # ... the admin took support away and nobody followed
        with transaction(container.session_factory) as s:
            assert presence.reapply(s, "lab") == 1
        assert pbx.members == {("sales", ANN_PHONE): Member(True, False, "", 1)}
    finally:
        keeper.stop()


def test_an_agent_whose_phone_is_taken_away_is_signed_out_of_every_queue(container, shop, presence, pbx) -> None:
    from callcenter.people.profile_values import ProfileChange

    ann = shop.users["ann"]
    with transaction(container.session_factory) as s:
        presence.sign_in(s, _ann(s, shop), "desk", ["support"])
    with transaction(container.session_factory) as s:  # the admin moves her to another desk phone
        container.profiles.update(s, ann, ProfileChange(sip_interface="PJSIP/agent1009"), services.TEST)
    with transaction(container.session_factory) as s:
        presence.follow_profile(s, "lab", ann)
    assert pbx.members == {}  # the old phone rings for nobody
    with container.session_factory() as s:
        row = rows.row(s, AgentPresence, ann)
        assert (row.state, row.queues) == (PresenceState.SIGNED_OUT, [])
