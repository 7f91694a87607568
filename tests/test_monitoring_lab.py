"""Supervisor monitoring on the real lab: sue listens to ann's call from the wallboard, then barges.

The caller streams silence and sue's phone (SIPp agent1003) a steady tone.
ann's phone (agent1001) is a SIPp UAS whose SDP points at a UDP socket of
this test, so we measure the audio Asterisk really sends to the agent: it
must stay silent while sue only listens, and carry the tone once she barges.
"""
from __future__ import annotations

import logging
import math
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.ami.control import PBXControl
from callcenter.db import transaction
from callcenter.models import AgentProfile, AuditLog, Queue
from tests.support.lab_fixtures import follow_lab
from tests.support.waiting import wait_for as _wait

from .deskdata import PASSWORD, build
from .support.browser import sign_in
from .support.sipp import Agent, Caller, _Sipp, require_tool

pytestmark = [pytest.mark.pbx, pytest.mark.browser]
log = logging.getLogger(__name__)
CALLER = "+15551230020"
AGENT_RTP = 16650  # where ann's phone says it takes audio: our socket, not SIPp's

# ann's phone: answers, sends nothing itself, takes its audio at AGENT_RTP, waits for the BYE.
LISTENING_PHONE = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone whose audio the test reads">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio {AGENT_RTP} RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=sendrecv
]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""


class ListeningPhone(_Sipp):
    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "ann-phone")
        scenario = self.workdir / "listening.xml"
        scenario.write_text(LISTENING_PHONE)
        self.args = ["-sf", str(scenario), "-i", "127.0.0.1", "-p", "5091", "-m", "1", "-timeout", "120s"]

    def __enter__(self) -> ListeningPhone:
        self._start(self.args)
        time.sleep(0.3)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _ulaw(byte: int) -> int:
    """G.711 mu-law byte -> 16-bit linear sample."""
    byte = ~byte & 0xFF
    sample = (((byte & 0x0F) << 3) + 0x84) << ((byte >> 4) & 7)
    return -(sample - 0x84) if byte & 0x80 else sample - 0x84


ULAW = [_ulaw(b) for b in range(256)]


def _rms(payload: bytes) -> int:
    return int(math.sqrt(sum(ULAW[b] ** 2 for b in payload) / len(payload)))


class AudioMeter:
    """Every RTP packet Asterisk sends to ann's phone: (arrival time, RMS of its mu-law payload)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.packets: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            if len(data) > 12:
                self.packets.append((time.monotonic(), _rms(data[12:])))

    def level(self, start: float, end: float) -> tuple[int, float]:
        """(packets, mean RMS) received between two moments."""
        found = [rms for at, rms in list(self.packets) if start <= at <= end]
        return len(found), (sum(found) / len(found) if found else 0.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)




def _channel(control: PBXControl, interface: str, context: str | None = None) -> dict[str, str] | None:
    for c in control.act(lambda a: a.channels()):
        if not c["Channel"].startswith(interface + "-"):
            continue
        if context is None and c.get("BridgeId") and CALLER.lstrip("+") in c.get("ConnectedLineNum", ""):
            return c
        if context is not None and c.get("Context") == context:
            return c
    return None


def _waiting(bridge, queue: str) -> int:
    return sum(q["waiting"] for pbx in bridge.snapshot() for q in pbx["queues"] if q["queue"] == queue)


@pytest.mark.timeout(240)
def test_supervisor_listens_then_barges(lab_pbx, browser, live_server, live_container, tmp_path: Path,
                                        request: pytest.FixtureRequest) -> None:
    require_tool("sipp")
    require_tool("sox")
    follow_lab(live_container, lab_pbx)
    shop = build(live_container.session_factory, tmp_path / "unused")
    with transaction(live_container.session_factory) as s:
        sue = s.scalars(select(AgentProfile).where(AgentProfile.user_id == shop.users["sue"])).one_or_none()
        if sue is None:
            s.add(AgentProfile(user_id=shop.users["sue"], sip_interface="PJSIP/agent1003"))
        s.add(Queue(name="webdesk", monitoring_allowed=True))
    bridge = live_container.ami()
    bridge.start()
    control = live_container.controls.get("lab")
    meter = AudioMeter(AGENT_RTP)
    request.addfinalizer(meter.close)
    request.addfinalizer(bridge.stop)
    _wait(lambda: bridge.connected() and control.connected(), 30, "the AMI bridge and control link")
    _wait(lambda: _waiting(bridge, "webdesk") == 0, 150, "webdesk to have nobody waiting")
    control.act(lambda a: a.queue_add("webdesk", "PJSIP/agent1001", "ann"))
    request.addfinalizer(lambda: control.act(lambda a: a.queue_remove("webdesk", "PJSIP/agent1001")))

    board = browser.new_page()
    sign_in(board, live_server, "sue", PASSWORD)
    board.goto(f"{live_server}/wallboard/")
    listen = board.locator(f'.monitor-listen[data-agent="{shop.users["ann"]}"]')
    listen.wait_for(timeout=15000)

    supervisor = Agent(tmp_path / "sue", 1003, hangs_up=False)
    _sox("-n", "-r", "8000", "-c", "1", "-e", "mu-law", str(supervisor.workdir / "agent.wav"),
         "synth", "20", "sine", "440", "vol", "0.5")
    caller = Caller(tmp_path / "c", "101", caller_id=CALLER)
    caller.args[caller.args.index("-p") + 1] = "5078"
    caller.args[caller.args.index("-mp") + 1] = "16500"
    _sox("-n", "-r", "8000", "-c", "1", "-e", "mu-law", str(caller.workdir / "caller.wav"), "trim", "0", "20")

    def hang_up() -> None:  # a SIPp killed without a BYE would leave its caller queued for the next test
        caller.stop()
        for c in control.act(lambda a: a.channels()):
            if c.get("CallerIDNum", "").lstrip("+") == CALLER.lstrip("+"):
                control.act(lambda a, name=c["Channel"]: a.hangup(name))
    request.addfinalizer(hang_up)
    with ListeningPhone(tmp_path / "ann") as ann_phone, supervisor:
        caller.start()
        ann = _wait(lambda: _channel(control, "PJSIP/agent1001"), 30, "ann on the call", board)

        listen.click()
        board.locator('#monitor-status[data-state="listen"]').wait_for(timeout=10000)
        _wait(lambda: _channel(control, "PJSIP/agent1003", "cc-spy-listen"), 20, "sue listening", board)
        listening = time.monotonic()
        board.wait_for_timeout(3000)
        # Listening ends when the barge is asked for: on a busy machine Asterisk may switch before the
        # channel list shows it, and sue's voice then would count against the listening.
        switched = time.monotonic()
        board.click('#monitor [data-mode="barge"]')
        board.locator('#monitor-status[data-state="barge"]').wait_for(timeout=10000)
        _wait(lambda: _channel(control, "PJSIP/agent1003", "cc-spy-barge"), 20, "sue barging", board)
        barging = time.monotonic()
        board.wait_for_timeout(3000)
        ended = time.monotonic()

        # Privacy: with monitoring off for webdesk, listening in is refused.
        board.click("#monitor-stop")
        board.locator('#monitor-status[data-state="stop"]').wait_for(timeout=10000)
        with transaction(live_container.session_factory) as s:
            s.scalars(select(Queue).where(Queue.name == "webdesk")).one().monitoring_allowed = False
        listen.click()
        board.locator('#monitor-status[data-state="private_queue"]').wait_for(timeout=10000)
        assert "turned off" in board.inner_text("#monitor-status")
        control.act(lambda a: a.hangup(ann["Channel"]))
        # Both phones see their BYE through, so none is left for the next test's phones on these ports.
        assert ann_phone.wait(20).ok and supervisor.wait(20).ok and caller.wait(20).ok

    before_n, before = meter.level(listening + 0.5, switched)
    after_n, after = meter.level(barging + 0.5, ended)
    assert before_n > 50 and after_n > 50, (before_n, after_n)  # audio really flowed to ann's phone
    log.info("ann's audio: %.0f RMS while sue listened, %.0f after the barge", before, after)
    assert before < 100, f"ann heard something while sue only listened (RMS {before:.0f})"
    assert after > 1000 and after > 10 * max(before, 1.0), f"ann did not hear sue after the barge ({after:.0f})"
    with live_container.session_factory() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action.like("monitor_%")).order_by(AuditLog.id)).all()
        assert [(r.action, r.outcome) for r in rows] == [
            ("monitor_listen", "ok"), ("monitor_barge", "ok"), ("monitor_stop", "ok"),
            ("monitor_refused", "denied")]
        assert {r.actor_id for r in rows} == {shop.users["sue"]}
        assert all(r.detail.get("agent_id") == shop.users["ann"] for r in rows)
        assert rows[0].detail["phone"] == "PJSIP/agent1003" and rows[0].detail["endpoint"] == "agent1001"
