"""Agent states on the real lab Asterisk: SIPp agents 1003 and 1004 sign in to `webdesk` (DID 101) from the desk.

Pause with a reason sends the next caller to the other agent and unpausing
brings the agent back; after a call the agent is held out of the queue
until the intake form is in or the wrap-up time ends; the desk's state bar
does the same in Chromium.  The Call rows the bridge writes and the
presence history must tell the same story.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from callcenter.access import accounts
from callcenter.access.audit import Actor
from callcenter.ami.actions import Actions
from callcenter.db import transaction
from callcenter.forms import catalog
from callcenter.models import AgentQueue, Call, CallLeg, PresenceSpan, PresenceState, Queue, User
from callcenter.wiring import Container
from tests.support.lab_fixtures import follow_lab
from tests.support.waiting import wait_for as _wait

from .deskdata import PASSWORD
from .support.browser import screenshot, sign_in
from .support.sipp import Agent, Caller, require_tool

pytestmark = pytest.mark.pbx
T = TypeVar("T")
PHONES = {"cara": "PJSIP/agent1003", "dan": "PJSIP/agent1004"}




def webdesk_members(container: Container) -> dict[str, tuple[bool, str]]:
    """What Asterisk says now: webdesk's members -> (paused, reason)."""
    async def work(actions: Any) -> Any:
        return await actions.connection.send({"Action": "QueueStatus", "Queue": "webdesk"})
    reply = container.controls.get("lab").act(work)
    items = reply if isinstance(reply, list) else [reply]
    return {m["Location"]: (m.get("Paused") == "1", m.get("PausedReason", ""))
            for m in items if m.get("Event") == "QueueMember" and m.get("Queue") == "webdesk"}


def _forget_members(container: Container) -> None:
    """Start and end with our SIPp agents in no call and not in webdesk (a failed run may leave either)."""
    control = container.controls.get("lab")

    async def waiting(actions: Any) -> Any:
        return await actions.connection.send({"Action": "QueueStatus", "Queue": "webdesk"})
    reply = control.act(waiting)
    # This session holds the lab's lock, so a caller still waiting in webdesk is left from an earlier run:
    # it would take our agents' one call each.
    stale = {m["Channel"] for m in (reply if isinstance(reply, list) else [reply])
             if m.get("Event") == "QueueEntry" and m.get("Queue") == "webdesk"}
    for channel in control.act(lambda a: a.channels()):
        if channel.get("Channel", "").startswith(tuple(f"{p}-" for p in PHONES.values())):
            stale.add(channel["Channel"])
    for name in stale:
        with contextlib.suppress(RuntimeError):  # gone meanwhile
            control.act(functools.partial(Actions.hangup, channel=name))
    for phone in PHONES.values():
        control.act(functools.partial(Actions.queue_remove, queue="webdesk", interface=phone))


@pytest.fixture
def lab(lab_pbx, live_container: Container, tmp_path: Path) -> Iterator[tuple[Container, dict[str, int]]]:
    require_tool("sipp")
    c = live_container
    follow_lab(c, lab_pbx)
    users: dict[str, int] = {}
    with transaction(c.session_factory) as s:
        catalog.sync_files(s)  # the intake forms (the web app does this when it starts)
        queue = Queue(name="webdesk")
        s.add(queue)
        s.flush()
        for name, phone in PHONES.items():
            user, _ = accounts.create_user(s, name, "agent", PASSWORD, sip_interface=phone)
            assert user.agent is not None
            s.add(AgentQueue(agent_id=user.agent.id, queue_id=queue.id))
            users[name] = user.id
    _forget_members(c)
    bridge = c.ami()
    bridge.start()
    try:
        _wait(lambda: bridge.connected(), 30, "the AMI bridge to connect")
        yield c, users
    finally:
        if bridge.alive():  # a test may have stopped it (a restart of our side)
            bridge.stop()
        _forget_members(c)


def _actor(c: Container, user_id: int) -> Actor:
    with c.session_factory() as s:
        user = s.get(User, user_id)
        assert user is not None
        s.expunge(user)
        return Actor.of(user)


def _do(c: Container, user_id: int, what: str, *args: Any) -> None:
    with transaction(c.session_factory) as s:
        getattr(c.presence, what)(s, _actor(c, user_id), *args)


def _state(c: Container, user_id: int) -> PresenceState:
    with c.session_factory() as s:
        row = c.presence.current(s, user_id)
        return row.state if row else PresenceState.SIGNED_OUT


def _call(c: Container, tmp: Path, name: str, talk_ms: int = 1500) -> Call:
    """One SIPp caller on DID 101 with both SIPp agents ready; the finished Call row."""
    with Agent(tmp / f"{name}-3", 1003, talk_ms=talk_ms), Agent(tmp / f"{name}-4", 1004, talk_ms=talk_ms):
        result = Caller(tmp / name, "101", caller_id="15550001234").run(60)
        assert result.ok, f"the SIPp call did not complete: {result}"
    return _final_call(c)


def _final_call(c: Container) -> Call:
    def ended() -> Call | None:
        with c.session_factory() as s:
            call = s.scalar(select(Call).where(Call.did == "101").order_by(Call.id.desc()).limit(1))
            if call is None or call.ended_at is None:
                return None
            s.expunge(call)
            return call
    return _wait(ended, 30, "the call record to be final")


def _rung(c: Container, call: Call) -> set[str]:
    with c.session_factory() as s:
        return {i for i in s.scalars(select(CallLeg.interface).where(CallLeg.call_id == call.id)) if i}


def _spans(c: Container, user_id: int) -> list[PresenceSpan]:
    with c.session_factory() as s:
        rows = list(s.scalars(select(PresenceSpan).where(PresenceSpan.user_id == user_id).order_by(PresenceSpan.id)))
        s.expunge_all()
        return rows


def _span_at(spans: list[PresenceSpan], at: dt.datetime) -> PresenceSpan:
    return next(p for p in spans if p.started_at <= at and (p.ended_at is None or at < p.ended_at))


def test_pause_sends_the_caller_to_the_other_agent_and_unpause_brings_them_back(lab, tmp_path: Path) -> None:
    c, users = lab
    c.settings.presence.wrapup_seconds = 0  # this test is about pauses alone
    for name in PHONES:
        _do(c, users[name], "sign_in", "desk", ["webdesk"])
    _do(c, users["cara"], "pause", "lunch")
    assert webdesk_members(c) == {PHONES["cara"]: (True, "lunch"), PHONES["dan"]: (False, "")}

    first = _call(c, tmp_path, "first")
    assert first.agent_id == users["dan"] and PHONES["cara"] not in _rung(c, first)

    _do(c, users["cara"], "available")
    _do(c, users["dan"], "pause", "training")
    assert webdesk_members(c) == {PHONES["cara"]: (False, ""), PHONES["dan"]: (True, "training")}
    second = _call(c, tmp_path, "second")
    assert second.agent_id == users["cara"] and PHONES["dan"] not in _rung(c, second)

    # The history agrees with the calls: each answering agent was on that call, the other paused.
    _wait(lambda: _state(c, users["cara"]) is PresenceState.AVAILABLE, 10, "cara's call to end")
    cara, dan = _spans(c, users["cara"]), _spans(c, users["dan"])
    assert first.answered_at and second.answered_at
    assert (_span_at(cara, first.answered_at).state, _span_at(cara, first.answered_at).reason) == \
        (PresenceState.PAUSED, "lunch")
    assert _span_at(dan, first.answered_at + dt.timedelta(milliseconds=500)).state is PresenceState.ON_CALL
    assert (_span_at(dan, second.answered_at).state, _span_at(dan, second.answered_at).reason) == \
        (PresenceState.PAUSED, "training")
    assert _span_at(cara, second.answered_at + dt.timedelta(milliseconds=500)).state is PresenceState.ON_CALL
    assert [p.state.value for p in cara] == ["available", "paused", "available", "on_call", "available"]


def _start_waiting_call(tmp: Path, name: str) -> tuple[Agent, Caller]:
    agent = Agent(tmp / f"{name}-3", 1003, talk_ms=1500).__enter__()
    caller = Caller(tmp / name, "101", caller_id="15550009999")
    caller.start()
    return agent, caller


def _held(c: Container, user_id: int, agent: Agent, seconds: float) -> None:
    """A caller waits, the agent stays in wrap-up and their phone stays silent all along."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert agent.proc is not None and agent.proc.poll() is None, "the agent's phone took a call"
        assert _state(c, user_id) is PresenceState.WRAP_UP
        time.sleep(0.3)


def test_wrap_up_holds_the_agent_until_the_form_or_the_timer(lab, tmp_path: Path) -> None:
    c, users = lab
    c.settings.presence.wrapup_seconds = 30
    _do(c, users["cara"], "sign_in", "desk", ["webdesk"])
    first = _call(c, tmp_path, "first")
    assert first.agent_id == users["cara"]
    _wait(lambda: _state(c, users["cara"]) is PresenceState.WRAP_UP, 10, "the wrap-up to start")
    assert webdesk_members(c) == {PHONES["cara"]: (True, "wrap-up")}

    # A caller waits while the agent wraps up; the intake form ends the wrap-up and the call rings.
    agent, caller = _start_waiting_call(tmp_path, "second")
    try:
        _held(c, users["cara"], agent, 4)
        cara = _actor(c, users["cara"])
        submitted = dt.datetime.now(dt.UTC)
        with transaction(c.session_factory) as s:
            call = s.get(Call, first.id)
            form = catalog.latest(s, "general")
            assert call is not None and form is not None
            c.intake.submit(s, form, call, cara, {"subject": "Billing question", "priority": "normal"})
        c.settings.presence.wrapup_seconds = 6  # the next wrap-up: short, and nobody files a form
        result = caller.wait(60)
        assert result.ok, f"the waiting caller was not served: {result}"
    finally:
        caller.stop()
        agent.__exit__(None, None, None)
    second = _final_call(c)
    assert second.agent_id == users["cara"] and second.queued_at and second.answered_at
    assert second.queued_at < submitted - dt.timedelta(seconds=3) and second.answered_at >= submitted
    wrap = next(p for p in _spans(c, users["cara"]) if p.state is PresenceState.WRAP_UP)
    assert wrap.ended_at is not None and (wrap.ended_at - wrap.started_at).total_seconds() < 30

    # No form this time: the next caller waits until the wrap-up time is over.
    _wait(lambda: _state(c, users["cara"]) is PresenceState.WRAP_UP, 10, "the second wrap-up")
    with c.session_factory() as s:
        row = c.presence.current(s, users["cara"])
        assert row is not None and row.wrapup_until is not None
        until = row.wrapup_until
    agent, caller = _start_waiting_call(tmp_path, "third")
    try:
        result = caller.wait(60)
        assert result.ok, f"the waiting caller was not served: {result}"
    finally:
        caller.stop()
        agent.__exit__(None, None, None)
    third = _final_call(c)
    assert third.agent_id == users["cara"] and third.queued_at and third.answered_at
    assert third.queued_at < until <= third.answered_at  # it waited for the wrap-up to end
    states = [p.state.value for p in _spans(c, users["cara"])]
    assert states[:7] == ["available", "on_call", "wrap_up", "available", "on_call", "wrap_up", "available"]


@pytest.mark.browser
def test_the_desk_state_bar_in_chromium(lab, browser, live_server, tmp_path: Path) -> None:
    c, users = lab
    c.settings.presence.wrapup_seconds = 60
    page = browser.new_page()
    sign_in(page, live_server, "cara", PASSWORD)
    page.goto(f"{live_server}/desk/")
    page.wait_for_selector("#presence[data-state=signed_out]", timeout=10000)
    assert page.is_checked("#presence-queues input[value=webdesk]")
    page.click("#presence-signin-button")
    page.wait_for_selector("#presence[data-state=available]", timeout=10000)
    assert page.inner_text("#presence-state") == "Available"
    assert webdesk_members(c) == {PHONES["cara"]: (False, "")}

    page.select_option("#presence-reason-select", "lunch")
    page.click("#presence-pause")
    page.wait_for_selector("#presence[data-state=paused]", timeout=10000)
    assert page.inner_text("#presence-reason") == "Lunch"
    assert webdesk_members(c) == {PHONES["cara"]: (True, "lunch")}
    screenshot(page, "presence-paused")

    page.click("#presence-available")
    page.wait_for_selector("#presence[data-state=available]", timeout=10000)
    call = _call(c, tmp_path, "desk")
    assert call.agent_id == users["cara"]
    page.wait_for_selector("#presence[data-state=wrap_up]", timeout=15000)
    countdown = page.wait_for_selector("#presence-countdown:not([hidden])", timeout=5000)
    first = int(countdown.get_attribute("data-seconds") or "0")
    assert 0 < first <= 60
    _wait(lambda: int(countdown.get_attribute("data-seconds") or "0") < first, 5, "the countdown to count down")
    assert "left" in page.inner_text("#presence-countdown")
    screenshot(page, "presence-wrap-up")
    page.click("#presence-ready")
    page.wait_for_selector("#presence[data-state=available]", timeout=10000)
    assert webdesk_members(c) == {PHONES["cara"]: (False, "")}

    page.click("#presence-signout")
    page.wait_for_selector("#presence[data-state=signed_out]", timeout=10000)
    assert webdesk_members(c) == {}
    page.close()


def test_our_processes_restart_and_asterisk_forgets(lab, tmp_path: Path) -> None:
    """The database is the truth: a new bridge re-applies pauses Asterisk lost, and ends wrap-ups that ran out."""
    from callcenter.ami.bridge import AMIService

    c, users = lab
    c.settings.presence.wrapup_seconds = 4
    _do(c, users["cara"], "sign_in", "desk", ["webdesk"])
    _do(c, users["dan"], "sign_in", "desk", ["webdesk"])
    _do(c, users["dan"], "pause", "meeting")
    _do(c, users["cara"], "pause", "lunch")
    _do(c, users["cara"], "available")
    call = _call(c, tmp_path, "before")
    assert call.agent_id == users["cara"]
    _wait(lambda: _state(c, users["cara"]) is PresenceState.WRAP_UP, 10, "cara's wrap-up")
    c.ami().stop()  # our side goes away during cara's wrap-up ...
    control = c.controls.get("lab")
    for phone in PHONES.values():  # ... and Asterisk forgets both members (as after its own restart)
        assert control.act(functools.partial(Actions.queue_remove, queue="webdesk", interface=phone))
    time.sleep(5)  # cara's wrap-up runs out while nothing follows the PBX
    assert webdesk_members(c) == {} and _state(c, users["cara"]) is PresenceState.WRAP_UP
    again = AMIService(c.settings, c.session_factory, c.bus, presence=c.presence)
    again.start()
    try:
        _wait(lambda: webdesk_members(c) == {PHONES["cara"]: (False, ""), PHONES["dan"]: (True, "meeting")}, 20,
              "the desk's states re-applied")
        assert _state(c, users["cara"]) is PresenceState.AVAILABLE
        assert _state(c, users["dan"]) is PresenceState.PAUSED
    finally:
        again.stop()
