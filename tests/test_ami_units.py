"""The bridge's parts on their own: parsing, safe actions, no resend, backoff,
live state, resync after a missed end, and the `callcenter calls` command."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message
from sqlalchemy import select

from callcenter import retry
from callcenter.ami.accumulator import Accumulator
from callcenter.ami.actions import Actions, OriginateOutcome, check_dial_target, check_text, check_variable
from callcenter.ami.capture import read_transcript
from callcenter.ami.connection import ConnectionLost, _FailFastProtocol
from callcenter.ami.interpreter import Interpreter
from callcenter.ami.live import LiveState
from callcenter.ami.notifier import Notifier
from callcenter.ami.protocol import iter_events
from callcenter.ami.record import CallSnapshot
from callcenter.ami.replay import feed
from callcenter.ami.resync import adopt
from callcenter.ami.writer import Writer
from callcenter.calls.records import ensure_call
from callcenter.cli import main
from callcenter.db import transaction
from callcenter.events import Event
from callcenter.models import Call, utcnow
from callcenter.pbx.values import UnsafeValue

FIXTURES = Path(__file__).parent / "fixtures" / "ami"


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.snapshots: list[CallSnapshot] = []

    def publish(self, event: Event) -> None:
        self.events.append((event.name, event.payload()))

    def save(self, snapshot: CallSnapshot) -> None:
        self.snapshots.append(snapshot)


def _interpreter() -> tuple[Interpreter, Recorder]:
    out = Recorder()
    acc = Accumulator("lab")
    interpreter = Interpreter(acc, LiveState(acc), Notifier(out), out)
    feed(read_transcript(FIXTURES / "queue_status.txt"), interpreter.handle)
    return interpreter, out


# -- parsing -------------------------------------------------------------------
@pytest.mark.parametrize("chunk", [1, 7, 512, 65536])
def test_lean_parser_matches_panoramisk_at_any_packet_boundary(chunk: int) -> None:
    data = read_transcript(FIXTURES / "transferred.txt")
    ours: list[dict[str, str]] = []
    feed(data, ours.append, chunk)
    # A header repeated in one event keeps its last value (no event we read repeats one).
    theirs = [{k: v[-1] if isinstance(v, list) else v
               for k, v in Message.from_line(b.strip()).items() if k != "content"}
              for b in data.decode().split("\r\n\r\n") if b.strip()]
    assert ours == theirs and len(ours) == 250


def test_malformed_and_unknown_events_are_ignored() -> None:
    interpreter, out = _interpreter()
    interpreter.handle({"Event": "Newchannel", "Uniqueid": "1.1"})          # no Linkedid
    interpreter.handle({"Event": "SomethingNew", "Foo": "bar"})
    interpreter.handle({"Event": "Hangup", "Uniqueid": "9.9", "Linkedid": "9.9", "Cause": "x"})
    assert interpreter.acc.calls == {} and out.snapshots == []


# -- safe actions ----------------------------------------------------------------
@pytest.mark.parametrize("bad", ["a\r\nAction: Originate", "x\ny", "tab\there", "${SHELL(id)}",
                                 "$[1+1]", 'say "hi"', "back\\slash", "\x00", 12.5, None])
def test_values_that_could_inject_are_refused(bad) -> None:
    with pytest.raises(UnsafeValue):
        check_text("value", bad)


@pytest.mark.parametrize("target", ["PJSIP/agent1001", "PJSIP/+15551230002@customer", "Local/100@default/n"])
def test_dial_targets_that_are_allowed(target: str) -> None:
    assert check_dial_target(target) == target


@pytest.mark.parametrize("target", ["PJSIP/agent1001&PJSIP/agent1002", "PJSIP/x,30", "SIP/a b",
                                    "System/rm", "PJSIP/", "Local/100@default\r\n"])
def test_dial_targets_that_are_refused(target: str) -> None:
    with pytest.raises(UnsafeValue):
        check_dial_target(target)


def test_variables_are_checked_by_name_and_value() -> None:
    assert check_variable("CC_CALLBACK_NUMBER", "+15551230002") == "CC_CALLBACK_NUMBER=+15551230002"
    for name, value in (("CC X", "1"), ("1A", "1"), ("CC_A", "1,B=2"), ("CC_A", "a|b"), ("CC_A", "${X}")):
        with pytest.raises(UnsafeValue):
            check_variable(name, value)


class _Link:
    """Answers like Asterisk would, or loses the link before the reply."""

    def __init__(self, lose: bool) -> None:
        self.lose = lose
        self.sent: list[dict[str, Any]] = []

    async def send(self, action, as_list=None, timeout=None):
        self.sent.append(action)
        if self.lose:
            raise ConnectionLost("cut")
        return Message({"Response": "Success", "Message": "Originate successfully queued"})


@pytest.mark.parametrize("lose", [False, True])
def test_an_originate_key_dials_at_most_once(lose: bool) -> None:
    link = _Link(lose)
    actions = Actions(link)  # type: ignore[arg-type]  # a stand-in for AMIConnection: Actions only calls send()

    async def twice():
        first = await actions.originate("PJSIP/+15551230002@customer", "cc-survey-outbound", key="ab" * 16)
        second = await actions.originate("PJSIP/+15551230002@customer", "cc-survey-outbound", key="ab" * 16)
        return first, second
    first, second = asyncio.run(twice())
    assert first is second and len(link.sent) == 1
    outcome = first.outcome  # read now: channel_seen() below changes it
    assert outcome is (OriginateOutcome.UNKNOWN if lose else OriginateOutcome.QUEUED)
    assert link.sent[0]["ChannelId"] == "cc-" + "ab" * 16
    actions.channel_seen("cc-" + "ab" * 16)
    assert first.outcome is OriginateOutcome.DIALLED
    with pytest.raises(UnsafeValue):
        asyncio.run(actions.originate("PJSIP/x", "cc-callback", variables={"CC_N": "1\r\nAction: X"}))


def test_an_inherited_header_is_one_checked_setvar() -> None:
    link = _Link(False)
    actions = Actions(link)  # type: ignore[arg-type]  # a stand-in for AMIConnection: Actions only calls send()
    asyncio.run(actions.inherit_header("PJSIP/webrtc1001-00000001", "X-CC-Linkedid", "1700000000.1"))
    assert link.sent == [{"Action": "Setvar", "Channel": "PJSIP/webrtc1001-00000001",
                          "Variable": "PJSIP_INHERITABLE_HEADER(add,X-CC-Linkedid)", "Value": "1700000000.1"}]
    for header, value in (("Via", "1"), ("X-A,B", "1"), ("X-A)", "1"), ("X-A", "1\r\nAction: X"), ("X-A", "a,b")):
        with pytest.raises(UnsafeValue):
            asyncio.run(actions.inherit_header("PJSIP/webrtc1001-00000001", header, value))


def _pending_originate(protocol_class):
    class Factory:
        forgetable_actions = ("ping", "login")
        save_stream = None

        def __init__(self) -> None:
            self.awaiting_actions: deque[object] = deque()

        def connection_lost(self, exc) -> None:
            pass

    async def run():
        protocol = protocol_class()
        protocol.connection_made(type("T", (), {"write": lambda *a: None, "close": lambda *a: None})())
        protocol.factory = Factory()
        future = protocol.send({"Action": "Originate", "Channel": "PJSIP/x"})
        protocol.connection_lost(None)
        await asyncio.sleep(0)
        return protocol.factory.awaiting_actions, future
    return asyncio.run(run())


def test_panoramisk_would_resend_but_the_bridge_fails_the_action_instead() -> None:
    queued, _ = _pending_originate(AMIProtocol)
    assert len(queued) == 1, "panoramisk 1.4 queues it for re-sending after reconnect"
    queued, future = _pending_originate(_FailFastProtocol)
    assert len(queued) == 0 and isinstance(future.exception(), ConnectionLost)


# -- reconnect -------------------------------------------------------------------
def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    low = [retry.delay(n, 0.5, 30.0, rng=lambda: 0.0) for n in range(10)]
    high = [retry.delay(n, 0.5, 30.0, rng=lambda: 1.0) for n in range(10)]
    assert low[:4] == [0.25, 0.5, 1.0, 2.0] and high[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(high) == 30.0 and min(low[7:]) == 15.0
    assert retry.delay(10_000, 0.5, 30.0) <= 30.0


# -- live state ------------------------------------------------------------------
def test_agent_states_and_queue_counts_follow_the_call() -> None:
    interpreter, out = _interpreter()
    feed(read_transcript(FIXTURES / "answered.txt"), interpreter.handle)
    states = [p["state"] for n, p in out.events
              if n == "agent_state_changed" and p["interface"] == "PJSIP/agent1002"]
    assert states == ["ringing", "on_call", "available"]
    waiting = [p["waiting"] for n, p in out.events if n == "queue_changed"]
    assert waiting == [1, 0]
    names = [n for n, _ in out.events]
    assert names.index("call_started") < names.index("call_ringing_agent") < names.index("call_answered") \
        < names.index("call_ended")


def test_paused_agents_show_as_paused() -> None:
    interpreter, out = _interpreter()
    feed(read_transcript(FIXTURES / "abandoned_queue.txt"), interpreter.handle)
    states = [(p["interface"], p["state"]) for n, p in out.events if n == "agent_state_changed"]
    assert ("PJSIP/agent1001", "paused") in states and states[-1][1] == "available"


# -- resync ----------------------------------------------------------------------
def _half_of_answered(interpreter: Interpreter) -> None:
    events = list(iter_events(read_transcript(FIXTURES / "answered.txt")))
    upto = next(i for i, e in enumerate(events) if e["Event"] == "AgentConnect")
    for event in events[:upto + 1]:
        interpreter.handle(event)


def test_a_call_whose_channels_vanished_is_closed_as_interrupted() -> None:
    interpreter, out = _interpreter()
    _half_of_answered(interpreter)
    assert len(interpreter.acc.calls) == 1
    interpreter.acc.begin_resync()
    adopt(interpreter, [], 1795462400.0)
    interpreter.acc.end_resync()
    final = out.snapshots[-1]
    assert final.final and final.values["status"].value == "interrupted"
    assert final.values["disposition"].value == "answered"
    assert final.values["ended_at"].timestamp() == pytest.approx(1795462291.336, abs=0.01)
    assert interpreter.acc.calls == {}


def test_channels_still_up_are_adopted_after_a_restart_of_the_bridge() -> None:
    interpreter, out = _interpreter()
    channels = [{"Event": "CoreShowChannel", "Channel": "PJSIP/trunk-00000099", "Uniqueid": "7.1",
                 "Linkedid": "7.1", "CallerIDNum": "+15551230009", "CallerIDName": "Zoe",
                 "ChannelState": "6", "Application": "Queue", "ApplicationData": "support,c",
                 "Duration": "00:00:42", "BridgeId": ""}]
    adopt(interpreter, channels, 1795462400.0)
    call = interpreter.acc.calls["7.1"]
    assert call.resynced and call.started_at == 1795462358.0 and call.queue_name == "support"
    assert out.snapshots[-1].values["caller_number"] == "+15551230009"


def test_stale_active_rows_are_closed_once(container, tmp_path) -> None:
    with transaction(container.session_factory) as s:
        ensure_call(s, "lab", "1.1", started_at=utcnow() - dt.timedelta(hours=20))
        ensure_call(s, "lab", "2.2", started_at=utcnow() - dt.timedelta(minutes=5))
        ensure_call(s, "lab", "3.3", started_at=utcnow() - dt.timedelta(minutes=5))
    writer = Writer(container.session_factory, container.bus, tmp_path)
    writer.start()
    writer.sweep_stale(12)
    writer.close_orphans("lab", {"3.3"}, utcnow())
    writer.close_orphans("lab", {"3.3"}, utcnow())
    assert writer.flush(20)
    writer.stop()
    with container.session_factory() as s:
        status = {c.linkedid: c.status.value for c in s.scalars(select(Call))}
        assert status == {"1.1": "interrupted", "2.2": "interrupted", "3.3": "active"}
        assert all(c.disposition.value == "abandoned_ivr" for c in s.scalars(select(Call))
                   if c.linkedid != "3.3")


# -- the CLI -----------------------------------------------------------------------
def test_calls_command_lists_recent_calls(container, tmp_path, monkeypatch) -> None:
    writer = Writer(container.session_factory, container.bus, tmp_path)
    acc = Accumulator("lab")
    interpreter = Interpreter(acc, LiveState(acc), Notifier(writer), writer)
    writer.start()
    for name in ("answered", "abandoned_queue"):
        feed(read_transcript(FIXTURES / f"{name}.txt"), interpreter.handle)
    assert writer.flush(20)
    writer.stop()
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("CALLCENTER_DATABASE__URL", container.settings.database.url)
    monkeypatch.setenv("CALLCENTER_LAB__ENABLED", "false")
    monkeypatch.setenv("COLUMNS", "200")
    out = CliRunner().invoke(main, ["calls", "--limit", "5"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "answered" in out.output and "abandoned_queue" in out.output and "+15551230001" in out.output
