"""Transfers between two BROWSER agents on the real lab: a SIPp caller on DID 101 (queue webdesk) rings
ann's softphone (webrtc1001); she answers in the page, files the ticket and moves the call to bob's
softphone (webrtc1002) from the desk's transfer panel, blind or after consulting him.  Bob's browser
rings, he answers in his page, his pop opens the ticket, and the caller's audio reaches him; the
caller stays one Call record with answered legs for both agents."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.access import accounts
from callcenter.db import transaction
from callcenter.models import AuditLog, Call, CallLeg, LegKind, Ticket
from tests.support.waiting import wait_for as _wait

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in
from .support.sipp import Caller, require_tool

pytestmark = [pytest.mark.pbx, pytest.mark.browser]
QUEUE, ANN, BOB = "webdesk", "PJSIP/webrtc1001", "PJSIP/webrtc1002"
CALLER = "+15551230020"
CALLER_PORT, CALLER_MEDIA = "5079", "16600"  # its own ports: test_transfer_lab's caller uses 5077/16400


@pytest.fixture
def two_phones(lab_pbx, live_container, phone_browser, live_server) -> Iterator[dict[str, Any]]:
    """ann (1001) and bob (1002) each at their desk in their own browser context, softphones registered;
    only ann answers webdesk."""
    require_tool("sipp")
    settings = live_container.settings
    settings.lab.enabled = True
    settings.lab.dir = lab_pbx.dir
    settings.recordings.dir = lab_pbx.recordings_dir
    shop = build(live_container.session_factory, Path(settings.instance_dir) / "unused")
    with transaction(live_container.session_factory) as s:
        accounts.set_extension(s, shop.users["ann"], "1001", accounts.SETUP)
        accounts.set_extension(s, shop.users["bob"], "1002", accounts.SETUP)
    bridge = live_container.ami()
    bridge.start()
    control = live_container.controls.get("lab")
    contexts = []
    try:
        _wait(lambda: bridge.connected() and control.connected(), 30, "the AMI bridge and control link")
        _hang_up_leftovers(control)
        pages = {}
        for who, endpoint in (("ann", "webrtc1001"), ("bob", "webrtc1002")):
            context = phone_browser.new_context()
            contexts.append(context)
            pages[who] = _desk(context, live_server, who)
            _wait(partial(_contact, lab_pbx, endpoint), 10, f"Asterisk to list {endpoint}'s contact")
        assert control.act(lambda a: a.queue_add(QUEUE, ANN, "ann"))
        try:
            yield {"shop": shop, "control": control, "lab": lab_pbx, **pages}
        finally:
            control.act(lambda a: a.queue_remove(QUEUE, ANN))
    finally:
        for context in contexts:
            with contextlib.suppress(Exception):  # a page that failed may be gone already
                context.close()
        _hang_up_leftovers(control)
        bridge.stop()


def _contact(lab, endpoint: str) -> bool:
    return f"{endpoint}/" in lab.rx("pjsip show contacts")


def _hang_up_leftovers(control) -> None:
    """Calls a failed run left on the two softphones, waiting in webdesk, or from our caller."""
    for ch in control.act(lambda a: a.channels()):
        name = ch.get("Channel", "")
        queued = ch.get("Application") == "Queue" and ch.get("ApplicationData", "").startswith(QUEUE + ",")
        ours = ch.get("CallerIDNum", "").lstrip("+") == CALLER.lstrip("+")
        if name.startswith((ANN + "-", BOB + "-")) or queued or ours:
            with contextlib.suppress(RuntimeError):  # it ended meanwhile
                control.act(lambda a, name=name: a.hangup(name))


def _desk(context, base: str, who: str):
    page = context.new_page()
    logged: list[str] = []
    page.on("console", lambda m: logged.append(f"{m.type}: {m.text}"))
    page.logged = logged  # what the page said, shown when a step fails
    sign_in(page, base, who, PASSWORD)
    page.goto(f"{base}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    _step(page, "#phone-state[data-state=registered]", 20000, f"{who}'s softphone to register")
    return page


def _step(page, selector: str, timeout: int, what: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(selector, timeout=timeout)
    except PlaywrightTimeout:
        state = page.evaluate("JSON.stringify([window.ccPhone, window.__lastPop])")
        raise AssertionError(f"timed out waiting for {what}: {state} {page.logged[-20:]}") from None


def _caller(workdir: Path, request: pytest.FixtureRequest) -> Caller:
    caller = Caller(workdir, "101", caller_id=CALLER)
    caller.args[caller.args.index("-p") + 1] = CALLER_PORT
    caller.args[caller.args.index("-mp") + 1] = CALLER_MEDIA
    request.addfinalizer(caller.stop)
    return caller


def _answer(page, who: str) -> None:
    _step(page, "#pop #phone-call[data-state=ringing] #phone-answer", 30000, f"{who}'s softphone to ring")
    page.click("#phone-answer")
    _step(page, "#phone-call[data-state=incall] #phone-hangup", 10000, f"{who} in the call")


def _received(page) -> int:
    stats = page.evaluate("window.ccPhone.stats()")
    return int(stats["bytesReceived"]) if stats else 0


def _audio_grows(page, what: str) -> None:
    """Inbound audio keeps arriving in the page (getStats), not just a first packet."""
    first = _wait(lambda: _received(page), 15, f"audio in {what}'s page", page)
    _wait(lambda: _received(page) > first, 10, f"{what}'s inbound audio to grow", page)


def _file_ticket(ann) -> str:
    """ann's intake form on the call's pop: the ticket the transfer hands over."""
    _step(ann, ".intake-form #f-subject", 15000, "ann's intake form")
    ann.fill("#f-subject", "Browser transfer")
    ann.fill("#f-description", "Moved to a colleague's browser phone.")
    ann.select_option("#f-priority", "normal")
    ann.click(".intake-form button[type=submit]")
    ann.wait_for_selector(".submitted:not([hidden])", timeout=10000)
    return str(ann.inner_text(".submitted .ticket-number")).strip()


def _on_call(control, interface: str) -> dict[str, str] | None:
    channels = control.act(lambda a: a.channels())
    return next((c for c in channels if c["Channel"].startswith(interface + "-") and c.get("BridgeId")), None)


def _check_record(container, shop, number: str, completions: int) -> None:
    factory = container.session_factory

    def final() -> Call | None:
        with factory() as s:
            ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
            call = s.get(Call, ticket.origin_call_id)
            return call if call is not None and call.status.value == "complete" else None
    call = _wait(final, 40, "the call record to be final")
    with factory() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert s.scalar(select(func.count()).select_from(Call).where(Call.caller_number == CALLER)) == 1
        bobs = s.scalars(select(CallLeg.call_id).where(CallLeg.agent_id == shop.users["bob"])).all()
        assert set(bobs) == {call.id}, "bob's leg belongs to the caller's one call record"
        agents = set(s.scalars(select(CallLeg.agent_id).where(
            CallLeg.call_id == call.id, CallLeg.kind == LegKind.AGENT, CallLeg.answered_at.is_not(None))))
        assert agents == {shop.users["ann"], shop.users["bob"]}, "one call record with both agents"
        assert call.ticket_id == ticket.id and call.transferred_at is not None
        assert call.agent_id == shop.users["ann"] and call.disposition is not None
        assert call.disposition.value == "answered" and call.queue_name == QUEUE
        assert ticket.assignee_id == shop.users["bob"], "the ticket follows the call"
        actions = s.scalars(select(AuditLog.action).where(AuditLog.action.like("call_transfer%"))
                            .order_by(AuditLog.id)).all()
        assert actions == ["call_transfer"] + ["call_transfer_complete"] * completions


def _ann_takes_the_call(two_phones, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Caller, str]:
    ann, control = two_phones["ann"], two_phones["control"]
    caller = _caller(tmp_path / "c", request)
    caller.start()
    _answer(ann, "ann")
    _wait(lambda: _on_call(control, ANN), 15, "ann's channel in the caller's bridge", ann)
    number = _file_ticket(ann)
    ann.select_option("#transfer-agent", str(two_phones["shop"].users["bob"]))
    return caller, number


def _bob_has_the_caller(two_phones, caller: Caller, number: str, shot: str) -> None:
    """The ticket is open on bob's pop, the caller's audio reaches his page, and his hang-up ends the call."""
    bob = two_phones["bob"]
    _step(bob, f"#pop:not([hidden]) #pop-ticket:not([hidden]):has-text('{number}')", 15000,
          "bob's pop to show the ticket")
    assert bob.is_visible("#phone-hangup"), "bob's call controls are on the same pop"
    _audio_grows(bob, "bob")
    assert caller.proc is not None and caller.proc.poll() is None, "the caller is still on the line"
    screenshot(bob, shot)
    bob.click("#phone-hangup")
    _step(bob, "#phone-call[data-state=ended]", 10000, "bob's call to end")
    result = caller.wait(30)
    assert result.ok, f"the caller did not get bob's hang-up: {result}"


@pytest.mark.timeout(240)
def test_blind_transfer_between_browser_agents(two_phones, live_container, tmp_path: Path,
                                               request: pytest.FixtureRequest) -> None:
    ann, bob = two_phones["ann"], two_phones["bob"]
    caller, number = _ann_takes_the_call(two_phones, tmp_path, request)
    ann.click("#transfer-blind")
    _step(ann, '#transfer-status[data-state="blind"]', 10000, "the blind transfer to be accepted")
    _step(ann, "#phone-call[data-state=ended]", 15000, "ann's leg to end")
    _answer(bob, "bob")
    _bob_has_the_caller(two_phones, caller, number, "transfer-browser-blind")
    _check_record(live_container, two_phones["shop"], number, completions=0)


@pytest.mark.timeout(240)
def test_attended_transfer_between_browser_agents(two_phones, live_container, tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    ann, bob, control = two_phones["ann"], two_phones["bob"], two_phones["control"]
    caller, number = _ann_takes_the_call(two_phones, tmp_path, request)
    ann.click("#transfer-consult")
    _step(ann, '#transfer-status[data-state="attended"]', 10000, "the consultation to start")
    _answer(bob, "bob")
    _wait(lambda: _on_call(control, BOB), 15, "bob in the consultation", bob)
    _audio_grows(bob, "bob (consulting ann)")
    # Bob answering does not take ann's pop away: her call controls stay while she consults.
    assert ann.is_visible("#pop #phone-call[data-state=incall] #phone-hangup"), "ann's call controls are gone"
    ann.click("#transfer-complete")
    _step(ann, '#transfer-status[data-state="complete"]', 10000, "the transfer to complete")
    _step(ann, "#phone-call[data-state=ended]", 15000, "ann's leg to end")
    _bob_has_the_caller(two_phones, caller, number, "transfer-browser-attended")
    _check_record(live_container, two_phones["shop"], number, completions=1)
