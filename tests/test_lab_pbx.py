"""The lab PBX end to end: a real Asterisk 22, real SIP calls from SIPp,
real recordings, and AMI with the generated secret."""
from __future__ import annotations

import asyncio
import socket
import stat
import subprocess
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from panoramisk import Manager

from callcenter.config import read_lab_secret
from callcenter.pbx.lab import LabPBX
from tests.support.sipp import Agent, Caller, customer, require_tool

pytestmark = pytest.mark.pbx

CALLER_TEXT = "Hello, my internet connection is broken since this morning, can you help me please?"
AGENT_TEXT = "Good morning, this is Alice from support. I can see your account, one moment."


# ---- helpers ---------------------------------------------------------------
@pytest.fixture
def no_agi_server():
    """Hold the FastAGI port closed so the dialplan's AGI calls fail fast,
    exactly as when our AGI server is down."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Connections our AGI server closed earlier in this run sit in TIME_WAIT
    # on 4573; SO_REUSEADDR ignores them but still refuses a live listener.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", 4573))
    except OSError:
        sock.close()
        pytest.fail("something listens on 127.0.0.1:4573; stop the AGI server for this test")
    yield
    sock.close()


async def _ami(lab: LabPBX, secret: str, events: list[dict[str, Any]] | None = None) -> Manager:
    """Log in to the lab's AMI; returns the manager (authenticated or not)."""
    manager = Manager(loop=asyncio.get_running_loop(), host="127.0.0.1", port=5038,
                      username="callcenter", secret=secret, ping_delay=3600,
                      reconnect_timeout=3600)
    if events is not None:
        manager.register_event("*", lambda _m, event: events.append(dict(event)))
    await manager.connect()
    for _ in range(100):
        if manager.authenticated_future is not None:
            await asyncio.wait_for(manager.authenticated_future, 5)
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # let panoramisk's login callback run
    return manager


def _call_with_events(lab: LabPBX, place_call):
    """Run a blocking SIPp call while recording every AMI event it causes."""
    async def main():
        events: list[dict[str, Any]] = []
        manager = await _ami(lab, read_lab_secret(lab.settings.lab_secret_file), events)
        assert manager.authenticated
        try:
            result = await asyncio.to_thread(place_call)
            await asyncio.sleep(1.0)  # trailing Hangup/MixMonitor events
        finally:
            manager.close()
        return result, events
    return asyncio.run(main())


def _samples(path: Path) -> tuple[np.ndarray, float]:
    """16-bit mono samples and duration of a WAV (mu-law sources via sox)."""
    if path.suffix == ".wav" and _wav_format(path) != 1:
        pcm = path.with_name(path.stem + "-pcm.wav")
        subprocess.run(["sox", str(path), "-e", "signed-integer", "-b", "16", str(pcm)],
                       check=True, timeout=30)
        path = pcm
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    return data, len(data) / 8000


def _wav_format(path: Path) -> int:
    header = path.read_bytes()[:36]
    return int.from_bytes(header[20:22], "little")


def _similarity(recording: np.ndarray, source: np.ndarray) -> float:
    """Best normalised cross-correlation of the loudest second of a recording
    against the (looped) audio SIPp streamed: ~1 for the same voice, low otherwise."""
    win = 8000
    starts = range(0, len(recording) - win, 800)
    start = max(starts, key=lambda s: float(np.sum(recording[s:s + win] ** 2)))
    seg = recording[start:start + win]
    looped = np.concatenate([source, source])
    n = len(looped) + win
    corr = np.fft.irfft(np.fft.rfft(looped, n) * np.conj(np.fft.rfft(seg, n)), n)[:len(looped) - win + 1]
    cumulative = np.concatenate([[0.0], np.cumsum(looped ** 2)])
    energy = np.sqrt(cumulative[win:] - cumulative[:-win])
    return float(np.max(corr / (energy * np.linalg.norm(seg) + 1e-9)))


def _wait_for_recordings(lab: LabPBX, linkedid: str, timeout: float = 10) -> dict[str, Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {p.name: p for p in lab.recordings_dir.glob(f"{linkedid}-*.wav")}
        if len(found) >= 3:
            return {("agent" if n.endswith("-agent.wav") else "caller" if n.endswith("-caller.wav")
                     else "mixed"): p for n, p in found.items()}
        time.sleep(0.2)
    pytest.fail(f"recordings for {linkedid} missing: {sorted(lab.recordings_dir.iterdir())[-6:]}")


def _queue_call(lab: LabPBX, tmp_path: Path, number: str):
    """Caller dials `number`; agents 1001 and 1002 (queue support) stand by;
    whoever is rung answers, talks 3 s and hangs up."""
    require_tool("sipp")
    agents = [Agent(tmp_path, n, talk_ms=3000, text=AGENT_TEXT) for n in (1001, 1002)]
    caller = Caller(tmp_path, number, text=CALLER_TEXT)

    def place_call():
        with agents[0], agents[1]:
            result = caller.run(timeout=90)
            time.sleep(0.5)
            answered = [a for a in agents if a.answered()]
            return result, answered
    (result, answered), events = _call_with_events(lab, place_call)
    assert result.ok, str(result)
    assert len(answered) == 1, [a.wait(0.1) for a in agents]
    return answered[0], caller, events


# ---- tests -----------------------------------------------------------------
def test_second_up_is_idempotent_and_fast(lab_pbx: LabPBX):
    pid = lab_pbx.pid()
    started = time.monotonic()
    lab_pbx.up(progress=lambda _msg: None)
    assert time.monotonic() - started < 10
    status = lab_pbx.status()
    assert status["running"] and status["provisioned"]
    assert status["pid"] == pid, "a second up must reload, not restart"
    assert status["version"].startswith("22."), status
    modules = lab_pbx.rx("module show")
    for needed in ("chan_pjsip.so", "app_queue.so", "app_mixmonitor.so", "res_agi.so", "app_stack.so"):
        assert needed in modules
    assert "PJSIP/agent1001" in lab_pbx.rx("queue show support")


def test_secret_file_is_private(lab_pbx: LabPBX):
    mode = stat.S_IMODE(lab_pbx.settings.lab_secret_file.stat().st_mode)
    assert mode == 0o600
    assert len(read_lab_secret(lab_pbx.settings.lab_secret_file)) >= 32


def test_ami_login_with_generated_secret_and_refusal(lab_pbx: LabPBX):
    async def main():
        good = await _ami(lab_pbx, read_lab_secret(lab_pbx.settings.lab_secret_file))
        try:
            assert good.authenticated
            pong = await asyncio.wait_for(good.send_action({"Action": "Ping"}), 5)
            assert pong.success
            # The bridge's account may not run CLI commands ("command" class).
            denied = await asyncio.wait_for(
                good.send_action({"Action": "Command", "Command": "core show version"}), 5)
            assert not denied.success
        finally:
            good.close()
        bad = await _ami(lab_pbx, "not-the-secret")
        try:
            assert not bad.authenticated
        finally:
            bad.close()
    asyncio.run(main())


def test_call_without_agi_reaches_support_and_is_recorded(lab_pbx: LabPBX, tmp_path: Path,
                                                          no_agi_server):
    agent, caller, events = _queue_call(lab_pbx, tmp_path, "100")

    joins = [e for e in events if e.get("Event") == "QueueCallerJoin"]
    assert [e["Queue"] for e in joins] == ["support"], "AGI down: caller must fall back to support"
    skipped = [e for e in events if e.get("Event") == "UserEvent" and e.get("UserEvent") == "CCIvrSkipped"]
    assert skipped, "the dialplan should announce that the IVR was skipped"
    connect = next(e for e in events if e.get("Event") == "AgentConnect")
    assert connect["Interface"] == f"PJSIP/agent{agent.number}"

    files = _wait_for_recordings(lab_pbx, joins[0]["Linkedid"])
    audio = {side: _samples(path) for side, path in files.items()}
    for side, (data, seconds) in audio.items():
        assert seconds > 1.0, (side, seconds)
        assert np.sqrt(np.mean(data ** 2)) > 300, f"{side} recording is silent"
    # Each side's file holds that side's own voice: r() is the agent, t() the caller.
    caller_src, _ = _samples(caller.workdir / "caller.wav")
    agent_src, _ = _samples(agent.workdir / "agent.wav")
    assert _similarity(audio["caller"][0], caller_src) > 0.6
    assert _similarity(audio["agent"][0], agent_src) > 0.6
    assert _similarity(audio["caller"][0], agent_src) < 0.4
    assert _similarity(audio["agent"][0], caller_src) < 0.4


def test_unknown_number_hears_apology_then_reaches_queue(lab_pbx: LabPBX, tmp_path: Path,
                                                         no_agi_server):
    _agent, _caller, events = _queue_call(lab_pbx, tmp_path, "help")

    channel = next(e["Channel"] for e in events if e.get("Event") == "QueueCallerJoin")
    apps = [(e.get("Application"), e.get("AppData", "")) for e in events
            if e.get("Event") == "Newexten" and e.get("Channel") == channel]
    assert ("Playback", "callcenter/sorry-error") in apps, apps
    assert any(e.get("UserEvent") == "CCFail" for e in events)
    playback_at = apps.index(("Playback", "callcenter/sorry-error"))
    assert any(app == "Queue" for app, _ in apps[playback_at:]), "apology first, then the queue"


def test_pressing_9_in_queue_leaves_it_for_a_callback(lab_pbx: LabPBX, tmp_path: Path,
                                                      no_agi_server):
    """RFC 4733 DTMF from SIPp reaches the queue's exit context; with the
    callback AGI down the caller hears the apology and is queued again."""
    require_tool("sipp")
    caller = Caller(tmp_path, "100", text=CALLER_TEXT, dtmf=[(3000, "9")], hangup_after_ms=6000)

    async def pause(manager: Manager, paused: bool) -> None:
        for member in ("PJSIP/agent1001", "PJSIP/agent1002"):
            reply = await asyncio.wait_for(manager.send_action(
                {"Action": "QueuePause", "Queue": "support", "Interface": member,
                 "Paused": "true" if paused else "false", "Reason": "test"}), 5)
            assert reply.success, reply

    async def main():
        events: list[dict[str, Any]] = []
        manager = await _ami(lab_pbx, read_lab_secret(lab_pbx.settings.lab_secret_file), events)
        try:
            await pause(manager, True)  # nobody answers: the caller waits
            result = await asyncio.to_thread(caller.run, 60)
            await asyncio.sleep(1.0)
        finally:
            await pause(manager, False)
            manager.close()
        return result, events

    result, events = asyncio.run(main())
    assert result.ok, str(result)
    channel = next(e["Channel"] for e in events if e.get("Event") == "QueueCallerJoin")
    mine = [e for e in events if e.get("Channel") == channel]
    assert any(e.get("Event") == "DTMFEnd" and e.get("Digit") == "9" for e in mine)
    assert any(e.get("Event") == "Newexten" and e.get("Context") == "cc-queue-exit" for e in mine)
    apps = [e.get("AppData", "") for e in mine if e.get("Event") == "Newexten"]
    assert "agi://127.0.0.1:4573/callback" in apps
    assert "callcenter/sorry-error" in apps
    queue_events = [e["Event"] for e in mine if e["Event"] in ("QueueCallerJoin", "QueueCallerLeave")]
    assert queue_events[:3] == ["QueueCallerJoin", "QueueCallerLeave", "QueueCallerJoin"], \
        "left the queue on 9, then queued again after the apology"


def test_callback_originate_dials_only_the_filtered_number(lab_pbx: LabPBX, tmp_path: Path):
    """AMI Originate into cc-callback: the agent answers first, then the
    customer is dialled; junk in CC_CALLBACK_NUMBER never reaches Dial."""
    require_tool("sipp")
    agent = Agent(tmp_path, 1003, talk_ms=4000, text=AGENT_TEXT)
    phone = customer(tmp_path)

    async def main():
        events: list[dict[str, Any]] = []
        manager = await _ami(lab_pbx, read_lab_secret(lab_pbx.settings.lab_secret_file), events)
        try:
            with agent, phone:
                reply = await asyncio.wait_for(manager.send_action({
                    "Action": "Originate", "Channel": "PJSIP/agent1003", "Context": "cc-callback",
                    "Exten": "s", "Priority": "1", "Async": "true", "Timeout": "20000",
                    "CallerID": "Callback <15551230002>",
                    "Variable": "CC_CALLBACK_NUMBER=+1 (555) 123-0002&Local/x@default"}), 15)
                # Async Originate answers with a Response and an OriginateResponse.
                replies = reply if isinstance(reply, list) else [reply]
                assert all(r.success for r in replies), replies
                results = await asyncio.gather(asyncio.to_thread(agent.wait, 40),
                                               asyncio.to_thread(phone.wait, 40))
            await asyncio.sleep(0.5)
        finally:
            manager.close()
        return results, events

    (agent_result, customer_result), events = asyncio.run(main())
    assert agent_result.ok, str(agent_result)
    assert customer_result.ok, str(customer_result)
    dials = [e.get("DialString") for e in events
             if e.get("Event") == "DialBegin" and e.get("Channel", "").startswith("PJSIP/agent1003")]
    assert dials == ["+15551230002@customer"]
