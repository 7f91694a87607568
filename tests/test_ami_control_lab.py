"""The desk's AMI link (PBXControl) and the safe call-control actions, against the real lab PBX."""
from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from callcenter.access.accounts import create_user
from callcenter.ami.actions import Actions
from callcenter.ami.control import Controls, PBXControl
from callcenter.ami.link import LinkDown
from callcenter.calls.agents import interfaces_by_agent
from callcenter.config import PBXSettings, Settings, load_settings
from callcenter.db import transaction
from callcenter.pbx.values import UnsafeValue
from tests.support.sipp import Agent, Caller, require_tool

pytestmark = pytest.mark.pbx


@pytest.fixture
def control(lab_pbx) -> Iterator[PBXControl]:
    settings = load_settings()
    controls = Controls(settings.pbxes(), settings.ami)
    yield controls.get("lab")
    controls.close()


def _members(lab_pbx, queue: str) -> str:
    shown: str = lab_pbx.rx(f"queue show {queue}")
    return shown


def test_dynamic_members_are_added_paused_and_removed_once(lab_pbx, control: PBXControl) -> None:
    iface = "PJSIP/webrtc1009"
    try:
        assert control.act(lambda a: a.queue_add("webdesk", iface, "Agent 1009", paused=True, reason="login"))
        shown = _members(lab_pbx, "webdesk")
        assert "webrtc1009" in shown and "paused:login" in shown.lower().replace(" ", "")
        assert control.act(lambda a: a.queue_add("webdesk", iface, "Agent 1009")) is False  # already there
        control.act(lambda a: a.queue_pause(iface, False, "webdesk"))
        assert "paused" not in _members(lab_pbx, "webdesk").split("webrtc1009")[1].splitlines()[0].lower()
        # A static member (queues.conf) stays: only pausing applies to it.
        assert control.act(lambda a: a.queue_remove("support", "PJSIP/agent1001")) is False
        assert control.act(lambda a: a.queue_remove("webdesk", iface)) is True
        assert control.act(lambda a: a.queue_remove("webdesk", iface)) is False
        assert "webrtc1009" not in _members(lab_pbx, "webdesk")
    finally:
        control.act(lambda a: a.queue_remove("webdesk", iface))


def test_unsafe_values_never_reach_asterisk(lab_pbx, control: PBXControl) -> None:
    def add(bad: str) -> Callable[[Actions], Awaitable[bool]]:
        return lambda a: a.queue_add("webdesk", bad)

    for bad in ("PJSIP/x\r\nAction: Originate", "PJSIP/${EVIL}", 'PJSIP/a"b'):
        with pytest.raises(UnsafeValue):
            control.act(add(bad))
    with pytest.raises(UnsafeValue):
        control.act(lambda a: a.blind_transfer("PJSIP/agent1001-0001", "cc-transfer-out", "1${X}"))
    with pytest.raises(UnsafeValue):
        control.act(lambda a: a.set_variable("PJSIP/agent1001-0001", "CC_TICKET_ID", "1,CC_X=2"))
    assert "Unable" not in lab_pbx.rx("queue show webdesk")


def test_a_live_call_is_listed_with_its_channel(lab_pbx, control: PBXControl, tmp_path) -> None:
    require_tool("sipp")
    iface = "PJSIP/agent1003"
    control.act(lambda a: a.queue_add("webdesk", iface, "Agent 1003"))
    try:
        with Agent(tmp_path / "a", 1003, talk_ms=4000):
            caller = Caller(tmp_path / "c", "101", caller_id="15551230042")
            caller.start()
            deadline, mine = time.monotonic() + 20, list[dict[str, str]]()
            while time.monotonic() < deadline and not mine:
                mine = [c for c in control.act(lambda a: a.channels())
                        if c.get("Channel", "").startswith(iface + "-") and c.get("BridgeId")]
                time.sleep(0.2)
            assert mine, "the agent's bridged channel was not listed"
            assert mine[0]["Linkedid"] and mine[0]["Uniqueid"]
            assert caller.wait(40).ok
    finally:
        control.act(lambda a: a.queue_remove("webdesk", iface))


def test_no_link_means_link_down_and_nothing_sent() -> None:
    ctl = PBXControl(PBXSettings(name="nowhere", host="127.0.0.1", port=9), Settings().ami)
    try:
        started = time.monotonic()
        with pytest.raises(LinkDown, match="nothing was sent"):
            ctl.act(lambda a: a.queue_pause("PJSIP/agent1001", True))
        assert time.monotonic() - started < 12
    finally:
        ctl.close()


def test_the_softphones_websocket_answers_sip(lab_pbx) -> None:
    assert "webrtc1001" in lab_pbx.rx("pjsip show endpoint webrtc1001")
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", 8088), timeout=5) as sock:
        sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8088\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
                     .encode())
        head = sock.recv(4096).decode(errors="replace")
    assert head.startswith("HTTP/1.1 101") and "sip" in head.lower()


def test_desk_and_browser_phones_map_to_one_agent(container) -> None:
    with transaction(container.session_factory) as s:
        ann, _ = create_user(s, "ann", "agent", "pw-long-enough-1", sip_interface="PJSIP/agent1001")
        assert ann.agent is not None
        ann.agent.extension = "1001"
        bob, _ = create_user(s, "bob", "agent", "pw-long-enough-2")
        assert bob.agent is not None
        bob.agent.extension = "1002"
    with container.session_factory() as s:
        found = interfaces_by_agent(s)
    assert found == {"PJSIP/agent1001": ann.id, "PJSIP/webrtc1001": ann.id, "PJSIP/webrtc1002": bob.id}
