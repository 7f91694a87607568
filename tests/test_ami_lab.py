"""The AMI bridge against the real lab PBX: real SIP calls from SIPp, a real
Asterisk killed with -9, a real TCP link cut and frozen between the bridge
and AMI, on SQLite and PostgreSQL."""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from callcenter.access.accounts import create_user
from callcenter.ami.actions import OriginateOutcome
from callcenter.ami.bridge import AMIService
from callcenter.ami.writer import Writer
from callcenter.config import PBXSettings, read_lab_secret
from callcenter.db import transaction
from callcenter.models import Call, CallLeg, Recording
from callcenter.pbx.lab import LabPBX
from tests.support.sipp import Agent, Caller, customer, require_tool
from tests.test_lab_pbx import no_agi_server  # noqa: F401 - the dialplan falls back to `support`

pytestmark = pytest.mark.pbx
AGENTS = ("PJSIP/agent1001", "PJSIP/agent1002")


class LinkProxy:
    """A TCP relay between the bridge and AMI that can cut or freeze the link."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5038)) -> None:
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.mode = "pass"          # pass | freeze | cut_on_originate
        self.originates_seen = 0
        self._socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self._socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, to_pbx: bool) -> None:
        try:
            while data := src.recv(65536):
                while self.mode == "freeze":
                    time.sleep(0.05)
                if not to_pbx and self.mode == "dropping":
                    continue  # the reply to the Originate is lost with the link
                cutting = to_pbx and b"Action: Originate" in data and self.mode == "cut_on_originate"
                if cutting:
                    self.mode = "dropping"
                if to_pbx and b"Action: Originate" in data:
                    self.originates_seen += 1
                dst.sendall(data)
                if cutting:
                    time.sleep(0.5)  # Asterisk acts on it; the bridge never hears back
                    self.cut()
                    self.mode = "pass"
                    return
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        socks, self._socks = self._socks, []
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.cut()
        self.server.close()


def _bridge(container, lab: LabPBX, port: int = 5038, **ami) -> AMIService:
    settings = container.settings.model_copy(update={
        "ami": container.settings.ami.model_copy(update={"backoff_base": 0.2, "backoff_cap": 2.0,
                                                          **ami}),
        "recordings": container.settings.recordings.model_copy(update={"dir": lab.recordings_dir})})
    pbx = PBXSettings(name="lab", port=port, secret=read_lab_secret(lab.settings.lab_secret_file))
    service = AMIService(settings, container.session_factory, container.bus, pbxes=[pbx])
    service.start()
    _wait(lambda: service.connected(), 20, "the bridge never logged in")
    return service


def _writer(service: AMIService) -> Writer:
    """The bridge's writer: a service given a session factory always has one."""
    assert service.writer is not None, "the bridge has no writer"
    return service.writer


def _disposition(call: Call) -> str:
    assert call.disposition is not None, f"call {call.linkedid} has no disposition"
    return call.disposition.value


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(what)


def _calls(container, since: float) -> list[Call]:
    with container.session_factory() as s:
        return [c for c in s.scalars(select(Call).where(Call.pbx == "lab")).all()
                if c.started_at.timestamp() >= since - 1]


def _agents(container) -> dict[str, int]:
    with transaction(container.session_factory) as s:
        return {iface: create_user(s, iface.split("/")[1], "agent", "a-long-password-1",
                                   sip_interface=iface)[0].id for iface in AGENTS}


def _sipp_many(sipp, calls: int, port: int | None = None, media: int | None = None):
    """One SIPp process placing/answering ``calls`` calls (at most that many at once)."""
    args = sipp.args
    args[args.index("-m") + 1] = str(calls)
    args += ["-l", str(calls), "-r", str(calls)] if "-s" in args else []
    if port is not None:
        args[args.index("-p") + 1] = str(port)
    if media is not None:
        args[args.index("-mp") + 1] = str(media)
    return sipp


def test_twenty_concurrent_calls_become_twenty_right_records(lab_pbx, container, tmp_path,
                                                            no_agi_server) -> None:  # noqa: F811 - the fixture imported above
    """12 patient callers are answered by two agents; 8 press a key and give up
    while the agents are paused.  All 20 are up at once."""
    require_tool("sipp")
    agents = _agents(container)
    bridge = _bridge(container, lab_pbx)
    started = time.time()
    try:
        for iface in AGENTS:
            bridge.action("queue_pause", iface, True, queue="support", reason="lab test")
        patient = _sipp_many(Caller(tmp_path / "patient", "100", caller_id="15551230001"), 12)
        impatient = _sipp_many(Caller(tmp_path / "impatient", "100", caller_id="15551230002",
                                      dtmf=[(1500, "5")], hangup_after_ms=4000), 8, 5071, 17000)
        answering = [_sipp_many(Agent(tmp_path, int(i[-4:]), talk_ms=2000), 12) for i in AGENTS]
        for a in answering:
            a.__enter__()
        try:
            patient._start(patient.args)
            impatient._start(impatient.args)
            _wait(lambda: sum(len(b.accumulator.calls) for b in bridge.bridges.values()) >= 20, 20,
                  "20 calls never were up at the same time")
            assert impatient.wait(60).ok
            for iface in AGENTS:
                bridge.action("queue_pause", iface, False, queue="support")
            result = patient.wait(120)
            assert result.ok, str(result)
        finally:
            for a in answering:
                a.__exit__(None, None, None)
        _wait(lambda: len([c for c in _calls(container, started) if c.status.value != "active"]) >= 20,
              30, "not every call was closed")
        assert _writer(bridge).flush(30)
        _wait(lambda: _writer(bridge).pending_recordings() == 0, 20, "recordings never closed")
        assert _writer(bridge).flush(30)
    finally:
        bridge.stop()

    calls = _calls(container, started)
    assert len(calls) == 20 and len({c.linkedid for c in calls}) == 20
    answered = [c for c in calls if _disposition(c) == "answered"]
    abandoned = [c for c in calls if _disposition(c) == "abandoned_queue"]
    assert (len(answered), len(abandoned)) == (12, 8)
    with container.session_factory() as s:
        for call in calls:
            assert call.status.value == "complete" and call.queue_name == "support"
            assert call.caller_number in ("+15551230001", "+15551230002")
            if call in abandoned:
                assert call.caller_number == "+15551230002" and call.agent_id is None
                assert call.wait_seconds is not None and 3.0 < call.wait_seconds < 8.0, call.wait_seconds
                continue
            assert call.caller_number == "+15551230001"
            assert call.agent_id in agents.values() and call.agents_rung
            assert call.queued_at is not None and call.answered_at is not None and call.ended_at is not None
            assert call.queued_at <= call.answered_at < call.ended_at
            # From the answer to the hang-up (the agent talks 2 s; a busy machine may add to it, never the wait).
            talk = (call.ended_at - call.answered_at).total_seconds()
            assert call.talk_seconds is not None and 1.0 < call.talk_seconds <= talk + 0.5, (call.talk_seconds, talk)
            recordings = s.scalars(select(Recording).where(Recording.call_id == call.id)).all()
            assert {r.party.value for r in recordings} == {"mixed", "agent", "caller"}
            assert all(r.duration_seconds and r.duration_seconds > 1.0 for r in recordings)
            assert all((lab_pbx.recordings_dir / r.path).exists() for r in recordings)


def test_kill_9_asterisk_with_ten_calls_up(lab_pbx, container, tmp_path,
                                           no_agi_server) -> None:  # noqa: F811 - the fixture imported above
    require_tool("sipp")
    bridge = _bridge(container, lab_pbx)
    started = time.time()
    callers = _sipp_many(Caller(tmp_path, "100", caller_id="15551230003"), 10)
    agent = Agent(tmp_path, 1001, hangs_up=False)
    try:
        with agent:
            callers._start(callers.args)
            _wait(lambda: len(bridge.bridge().accumulator.calls) >= 10, 30, "10 calls never came up")
            sessions = bridge.bridge().connection.sessions
            os.kill(lab_pbx.pid(), 9)
            time.sleep(1.0)
            lab_pbx.up(progress=lambda _m: None)
            _wait(lambda: bridge.bridge().connection.sessions > sessions and bridge.connected(), 30,
                  "the bridge did not reconnect by itself")
            callers.stop()
        _wait(lambda: len(_calls(container, started)) >= 10
              and all(c.status.value != "active" for c in _calls(container, started)), 30,
              "calls left open after the PBX restart")
        assert _writer(bridge).flush(30)
    finally:
        bridge.stop()
        if not lab_pbx.is_running():
            lab_pbx.up(progress=lambda _m: None)
    calls = _calls(container, started)
    assert len(calls) == 10 and len({c.linkedid for c in calls}) == 10, "one record per call, no duplicates"
    assert all(c.status.value == "interrupted" and c.ended_at is not None for c in calls)
    assert sum(_disposition(c) == "answered" for c in calls) <= 1
    assert bridge.bridge().accumulator.calls == {}


def test_originate_pending_when_the_link_is_cut_rings_once(lab_pbx, container, tmp_path) -> None:
    require_tool("sipp")
    proxy = LinkProxy()
    bridge = _bridge(container, lab_pbx, proxy.port)
    phone = customer(tmp_path)
    phone.args += ["-trace_msg", "-message_file", "messages.log"]
    key = uuid.uuid4().hex
    try:
        with phone:
            sessions = bridge.bridge().connection.sessions
            proxy.mode = "cut_on_originate"
            result = bridge.action("originate", "PJSIP/+15551230004@customer", "cc-survey-outbound",
                                   "s", key=key, timeout_s=20)
            outcome = result.outcome  # read now: the channel seen later changes it
            assert outcome is OriginateOutcome.UNKNOWN, result
            _wait(lambda: bridge.bridge().connection.sessions > sessions and bridge.connected(), 20,
                  "no reconnect after the cut")
            again = bridge.action("originate", "PJSIP/+15551230004@customer", "cc-survey-outbound",
                                  "s", key=key)
            assert again is result, "the same key never dials again"
            phone.wait(40)
            _wait(lambda: result.outcome is OriginateOutcome.DIALLED, 10, "the originated channel was not seen")
        time.sleep(1.0)
        assert _writer(bridge).flush(30)
    finally:
        bridge.stop()
        proxy.close()
    invites = (phone.workdir / "messages.log").read_text().count("INVITE sip:")
    assert proxy.originates_seen == 1
    assert invites == 1, f"the far end rang {invites} times"
    with container.session_factory() as s:
        legs = s.scalars(select(CallLeg).where(CallLeg.channel.like("PJSIP/customer-%"))).all()
        assert len(legs) == 1


def test_half_open_link_is_noticed_within_30_seconds(lab_pbx, container) -> None:
    """The relay stops passing bytes but keeps both sockets open: only an
    unanswered Ping can tell.  Default keepalive settings."""
    proxy = LinkProxy()
    bridge = _bridge(container, lab_pbx, proxy.port, keepalive_interval=10.0, keepalive_timeout=10.0)
    try:
        sessions = bridge.bridge().connection.sessions
        proxy.mode = "freeze"
        frozen = time.monotonic()
        _wait(lambda: not bridge.connected(), 35, "the half-open link went unnoticed")
        noticed = time.monotonic() - frozen
        proxy.cut()
        proxy.mode = "pass"
        _wait(lambda: bridge.bridge().connection.sessions > sessions and bridge.connected(), 20,
              "no reconnect")
    finally:
        bridge.stop()
        proxy.close()
    assert noticed < 30, noticed
