"""The agent's browser softphone on the real lab: Chromium registers over WebSocket, a SIPp caller
dials 101 (queue webdesk), the desk rings, pops and answers in one panel, audio flows both ways,
hold and DTMF reach Asterisk, the agent hangs up in the page, and the call is complete and recorded."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access import accounts
from callcenter.db import transaction
from callcenter.models import Call, Recording, Ticket
from tests.support.waiting import wait_for as _wait

from .deskdata import PASSWORD, build
from .support.browser import file_ticket, screenshot, sign_in
from .support.sipp import Caller, require_tool

pytestmark = [pytest.mark.pbx, pytest.mark.browser]
QUEUE, PHONE = "webdesk", "PJSIP/webrtc1001"
CONSOLE: dict[int, list[str]] = {}




class AmiEvents:
    """The AMI events the desk's control link sees (it is the same Asterisk the browser talks to)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rows: list[dict[str, str]] = []

    def __call__(self, event: dict[str, str]) -> None:
        if event.get("Event") in ("Hold", "Unhold", "DTMFEnd"):
            with self._lock:
                self.rows.append(event)

    def find(self, name: str, **fields: str) -> dict[str, str] | None:
        with self._lock:
            for row in self.rows:
                if row.get("Event") == name and row.get("Channel", "").startswith(PHONE + "-") and all(
                        row.get(k) == v for k, v in fields.items()):
                    return row
        return None


@pytest.fixture
def desk_lab(lab_pbx, live_container, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The live app following the lab; ann's softphone extension is 1001 (bob keeps only his desk phone)."""
    require_tool("sipp")
    settings = live_container.settings
    settings.lab.enabled = True
    settings.lab.dir = lab_pbx.dir
    settings.recordings.dir = lab_pbx.recordings_dir
    shop = build(live_container.session_factory, tmp_path / "unused")
    with transaction(live_container.session_factory) as s:
        accounts.set_extension(s, shop.users["ann"], "1001", accounts.SETUP)
    bridge = live_container.ami()
    bridge.start()
    control = live_container.controls.get()
    events = AmiEvents()
    control.listen(events)
    try:
        _wait(bridge.connected, 30, "the AMI bridge to connect")
        yield {"shop": shop, "control": control, "events": events, "lab": lab_pbx}
    finally:
        bridge.stop()


def _hang_up_leftovers(control, caller_id: str | None = None) -> None:
    """Calls an earlier, failed run left behind (SIPp killed, tab closed): the lab lock is ours, so any
    call on the softphone or waiting in webdesk is stale, and it would take this test's ring."""
    for ch in control.act(lambda a: a.channels()):
        name = ch.get("Channel", "")
        queued = ch.get("Application") == "Queue" and ch.get("ApplicationData", "").startswith(QUEUE + ",")
        if name.startswith(PHONE + "-") or queued or (caller_id and ch.get("CallerIDNum") == caller_id):
            with contextlib.suppress(RuntimeError):  # it ended meanwhile
                control.act(lambda a, name=name: a.hangup(name))


def _open_desk(browser, base: str, user: str):
    page = browser.new_page()
    logged = CONSOLE.setdefault(id(page), [])  # what the page logged, shown when a step fails
    page.on("console", lambda m: logged.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: logged.append(f"error: {e}"))
    sign_in(page, base, user, PASSWORD)
    page.goto(f"{base}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    return page


def test_softphone_answers_a_real_call_with_audio_both_ways(desk_lab, phone_browser, live_server,
                                                            live_container, tmp_path: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    lab, control, events, shop = desk_lab["lab"], desk_lab["control"], desk_lab["events"], desk_lab["shop"]
    page = _open_desk(phone_browser, live_server, "ann")
    try:
        page.wait_for_selector("#phone-state[data-state=registered]", timeout=20000)
    except PlaywrightTimeout:
        raise AssertionError(f"not registered: {page.inner_text('#phone-state')} {CONSOLE[id(page)]}") from None
    assert page.evaluate("window.ccPhone.state") == "registered"
    _wait(lambda: "webrtc1001/" in lab.rx("pjsip show contacts"), 10, "Asterisk to list webrtc1001's contact")
    _hang_up_leftovers(control)
    assert control.act(lambda a: a.queue_add(QUEUE, PHONE, "Ann softphone"))
    try:
        caller = Caller(tmp_path / "c", "101", caller_id="+8613800138000", count_rtp=True)
        caller.start()
        # Ring, pop and answer: one panel, the caller's customer and the Answer button together.
        try:
            page.wait_for_selector("#pop #phone-call[data-state=ringing] #phone-answer", timeout=30000)
        except PlaywrightTimeout:
            raise AssertionError(f"no ring: {page.evaluate('JSON.stringify(window.ccPhone)')} "
                                 f"{CONSOLE[id(page)]} {lab.rx('queue show webdesk')}") from None
        try:
            page.wait_for_selector("#pop-name:has-text('王芳')", timeout=15000)
        except PlaywrightTimeout:
            raise AssertionError(f"no pop: {page.evaluate('JSON.stringify([window.__lastPop, window.ccPhone])')} "
                                 f"{page.inner_text('#pop')} {CONSOLE[id(page)]}") from None
        assert "138 0013 8000" in page.inner_text("#pop-number")
        assert page.evaluate("window.ccPhone.call.linkedid") in page.get_attribute("#pop", "data-key")
        screenshot(page, "softphone-ringing")
        page.click("#phone-answer")
        page.wait_for_selector("#phone-call[data-state=incall] #phone-hangup", timeout=10000)
        stats = _wait(lambda: (lambda o: o if o and o["bytesReceived"] > 0 and o["bytesSent"] > 0 else None)(
            page.evaluate("window.ccPhone.stats()")), 15, "audio both ways in the browser")
        assert stats["packetsReceived"] > 0 and stats["packetsSent"] > 0
        assert caller.rtp_received() > 0, (page.evaluate("JSON.stringify(window.ccPhone)"), CONSOLE[id(page)])
        # The intake form works as with a desk phone.
        number = file_ticket(page, "Softphone call", "Answered in the browser.", "normal")
        page.click(".submitted")  # closing a finished pop waits for the hang-up: the controls stay
        assert page.is_visible("#phone-hangup")
        # Hold and resume: Asterisk sees both on the agent's channel.
        page.click("#phone-hold")
        page.wait_for_selector("#phone-call[data-state=held]", timeout=10000)
        _wait(lambda: events.find("Hold"), 10, "AMI Hold on the softphone's channel")
        page.click("#phone-hold")
        page.wait_for_selector("#phone-call[data-state=incall]", timeout=10000)
        _wait(lambda: events.find("Unhold"), 10, "AMI Unhold")
        # A keypad press reaches Asterisk as RFC 4733 DTMF.
        page.click("#phone-keypad-toggle")
        page.click("#phone-keypad [data-dtmf='5']")
        _wait(lambda: events.find("DTMFEnd", Digit="5", Direction="Received"), 10, "AMI DTMFEnd 5")
        page.click("#phone-mute")
        assert page.inner_text("#phone-mute") == "Unmute"
        screenshot(page, "softphone-in-call")
        page.click("#phone-hangup")
        page.wait_for_selector("#phone-call[data-state=ended]", timeout=10000)
        result = caller.wait(30)
        assert result.ok, f"the SIPp caller did not end cleanly: {result}"
        assert page.evaluate("window.ccPhone.lastStats.bytesReceived") > 0
    finally:
        control.act(lambda a: a.queue_remove(QUEUE, PHONE))
        _hang_up_leftovers(control, "+8613800138000")
    with live_container.session_factory() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None

        def final() -> Call | None:
            s.expire_all()
            call = s.get(Call, ticket.origin_call_id)
            return call if call is not None and call.ended_at and call.recordings else None
        call = _wait(final, 40, "the call record to be final with its recordings")
        assert call.disposition is not None and call.disposition.value == "answered"
        assert call.agent_id == shop.users["ann"] and call.ticket_id == ticket.id
        assert call.caller_number == "+8613800138000" and call.queue_name == QUEUE
        recordings = s.scalars(select(Recording).where(Recording.call_id == call.id)).all()
        assert recordings and all((lab.recordings_dir / r.path).stat().st_size > 44 for r in recordings)


def test_only_the_signed_in_agent_gets_softphone_credentials(desk_lab, phone_browser, live_server) -> None:
    ann = _open_desk(phone_browser, live_server, "ann")
    mine = ann.evaluate("fetch('/desk/phone').then(r => r.json())")
    assert mine["authorization_user"] == "webrtc1001" and mine["password"]
    bob = _open_desk(phone_browser, live_server, "bob")  # desk phone only: no phone, desk as before
    assert not bob.is_visible("#softphone") and bob.evaluate("window.ccPhone === undefined")
    refused = bob.evaluate("fetch('/desk/phone').then(r => r.json().then(j => [r.status, j.error, j.password]))")
    assert refused == [404, "no_extension", None]
    quinn = phone_browser.new_page()
    sign_in(quinn, live_server, "quinn", PASSWORD)
    assert quinn.evaluate("fetch('/desk/phone').then(r => r.status)") == 403


def test_a_refused_registration_shows_failed_in_the_agents_language(desk_lab, phone_browser, live_server,
                                                                    live_container) -> None:
    """Asterisk refuses a password derived from another secret: the phone says so (here in Chinese)."""
    from pydantic import SecretStr

    with transaction(live_container.session_factory) as s:
        accounts.set_language(s, desk_lab["shop"].users["ann"], "zh")
    live_container.settings.softphone.secret = SecretStr("not-the-lab-secret")
    page = _open_desk(phone_browser, live_server, "ann")
    page.wait_for_selector("#phone-state[data-state=failed]", timeout=20000)
    assert page.inner_text("#phone-state") == "话机：注册失败"
