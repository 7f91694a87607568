"""Real AMI transcripts from the lab PBX, replayed into Call rows on SQLite and PostgreSQL.

The fixtures in tests/fixtures/ami/ were recorded from real SIPp calls
(tests/fixtures/ami/capture_scenarios.py).  Each goes through the whole
pipeline: bytes -> EventProtocol -> Interpreter -> Writer -> database and
event bus.  Expected records are written as a readable table
(wazo-call-logd's test_generator_scenarios.py style).
"""
from __future__ import annotations

import queue
import struct
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.accounts import create_user
from callcenter.ami.accumulator import Accumulator
from callcenter.ami.capture import read_transcript
from callcenter.ami.interpreter import Interpreter
from callcenter.ami.live import LiveState
from callcenter.ami.notifier import Notifier
from callcenter.ami.replay import feed
from callcenter.ami.writer import Writer
from callcenter.bus import Message
from callcenter.db import transaction
from callcenter.models import Call, CallLeg, Queue, Recording

FIXTURES = Path(__file__).parent / "fixtures" / "ami"

# scenario           | disposition        | dir | queue   | agent            | rung                        | ivr path | wait   | talk  | xfer | legs | recs  # noqa: E501 - one row per scenario
EXPECTED = """
answered             | answered           | in  | support | PJSIP/agent1002  | agent1002                   | queue    | 0.31   | 3.0   | no   | 2    | 3
abandoned_queue      | abandoned_queue    | in  | support | -                | -                           | queue    | 5.543  | 0.0   | no   | 1    | 0
abandoned_ivr        | abandoned_ivr      | in  | -       | -                | -                           | queue    | -      | 0.0   | no   | 1    | 0
callback_requested   | callback_requested | in  | -       | -                | -                           | callback | -      | 0.0   | no   | 1    | 0
ring_no_answer       | answered           | in  | support | PJSIP/agent1002  | agent1001,agent1002         | queue    | 16.316 | 2.99  | no   | 3    | 3
transferred          | answered           | in  | support | PJSIP/agent1001  | agent1001,agent1003         | queue    | 0.311  | 5.021 | yes  | 3    | 3
callback_outbound    | answered           | out | -       | PJSIP/agent1003  | agent1003                   | -        | -      | 2.698 | no   | 2    | 3
"""  # noqa: E501 - the expected records read as one table, a row per scenario


def _rows() -> list[list[str]]:
    return [[c.strip() for c in line.split("|")] for line in EXPECTED.strip().splitlines()]


def _opt(value: str) -> str | None:
    return None if value == "-" else value


def _wav(path: Path, seconds: float = 1.0) -> None:
    """A closed 8 kHz 16-bit WAV like MixMonitor leaves behind."""
    data = b"\0\0" * int(8000 * seconds)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(data))
    path.write_bytes(header + data)


def _pipeline(container, tmp_path: Path):
    writer = Writer(container.session_factory, container.bus, tmp_path, dead_letter=tmp_path / "dead.jsonl")
    writer.cfg = writer.cfg.model_copy(update={"recording_wait": 0.0})
    acc = Accumulator("lab")
    interpreter = Interpreter(acc, LiveState(acc), Notifier(writer), writer, "US")
    return writer, acc, interpreter


@pytest.fixture
def agents(container):
    with transaction(container.session_factory) as s:
        ids = {}
        for n in (1001, 1002, 1003, 1004):
            user, _ = create_user(s, f"agent{n}", "agent", "a-long-password-1",
                                  sip_interface=f"PJSIP/agent{n}")
            ids[f"PJSIP/agent{n}"] = user.id
        s.add(Queue(name="support"))
    return ids


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r[0])
def test_scenario_becomes_one_complete_record(row, container, agents, tmp_path) -> None:
    name, disp, direction, queue_name, agent, rung, path, wait, talk, xfer, legs, recs = row
    for line in (FIXTURES / f"{name}.txt").read_text().split("\n"):
        if line.startswith("Value: /var/spool/asterisk/monitor/"):
            base = line.rsplit("/", 1)[1][:-4]
            for suffix in ("", "-agent", "-caller"):
                _wav(tmp_path / f"{base}{suffix}.wav")
    events: queue.Queue[Message[Any]] = queue.Queue()  # every event; read by name below
    container.bus.subscribe("*", events.put)
    writer, acc, interpreter = _pipeline(container, tmp_path)
    writer.start()
    feed(read_transcript(FIXTURES / "queue_status.txt"), interpreter.handle)
    feed(read_transcript(FIXTURES / f"{name}.txt"), interpreter.handle, chunk=4096)
    assert writer.flush(30)
    writer.stop()
    assert acc.calls == {}, "every call of the transcript ended"

    with container.session_factory() as s:
        calls = s.scalars(select(Call)).all()
        assert len(calls) == 1
        call = calls[0]
        assert (call.pbx, call.status.value, call.disposition.value) == ("lab", "complete", disp)
        assert call.direction.value == {"in": "inbound", "out": "outbound"}[direction]
        assert call.caller_number == "+15551230001"
        assert call.queue_name == _opt(queue_name)
        assert call.agent_id == (agents[agent] if agent != "-" else None)
        assert call.agents_rung == ([f"PJSIP/{a}" for a in rung.split(",")] if rung != "-" else [])
        assert call.ivr.get("path") == _opt(path)
        assert call.wait_seconds == (float(wait) if wait != "-" else None)
        assert call.talk_seconds == float(talk)
        assert (call.transferred_at is not None) == (xfer == "yes")
        assert call.ended_at > call.started_at
        if call.answered_at:
            assert call.started_at <= call.answered_at <= call.ended_at
        assert len(s.scalars(select(CallLeg).where(CallLeg.call_id == call.id)).all()) == int(legs)
        recordings = s.scalars(select(Recording).where(Recording.call_id == call.id)).all()
        assert len(recordings) == int(recs)
        assert {r.party.value for r in recordings} == ({"mixed", "agent", "caller"} if int(recs) else set())
        assert all(r.duration_seconds == 1.0 and r.size_bytes == 16044 for r in recordings)
        if queue_name == "support":
            assert call.queue_id is not None

    names: list[Message[Any]] = []
    last = "recording_ready" if int(recs) else "call_record_written"
    while last not in {e.name for e in names}:
        names.append(events.get(timeout=10))
    while True:  # whatever else the transcript caused
        try:
            names.append(events.get(timeout=0.3))
        except queue.Empty:
            break
    published = [e.name for e in names]
    assert published.count("call_started") == 1
    assert published.count("call_ended") == 1
    assert published.count("call_record_written") == 1
    assert published.count("recording_ready") == (1 if int(recs) else 0)
    ended = next(e for e in names if e.name == "call_ended")
    assert ended.event.call_id == call.id and ended.event.disposition == disp
    if agent != "-":
        ringing = [e for e in names if e.name == "call_ringing_agent"]
        assert ringing and all(e.event.call_id == call.id for e in ringing)
        assert agents[agent] in {e.event.agent_id for e in ringing}
    assert not (tmp_path / "dead.jsonl").exists()


def test_replaying_twice_stores_each_call_once(container, agents, tmp_path) -> None:
    """A writer re-run (crash, duplicate delivery) never doubles a call or its legs."""
    for _attempt in range(2):
        writer, _acc, interpreter = _pipeline(container, tmp_path)
        writer.start()
        for name in ("answered", "transferred", "abandoned_queue"):
            feed(read_transcript(FIXTURES / f"{name}.txt"), interpreter.handle)
        assert writer.flush(30)
        writer.stop()
    with container.session_factory() as s:
        assert len(s.scalars(select(Call)).all()) == 3
        assert len(s.scalars(select(CallLeg)).all()) == 2 + 3 + 1
