"""Recordings are untrusted: every broken file gets its own clear error."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from callcenter.transcribe import audio


def tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def wav(path: Path, seconds: float = 1.0, rate: int = 8000, channels: int = 1,
        subtype: str = "PCM_16") -> Path:
    sf.write(str(path), tone(seconds, rate, channels), rate, subtype=subtype)
    return path


def test_a_good_recording_is_probed_and_streamed_at_the_models_rate(tmp_path: Path) -> None:
    info = audio.probe(wav(tmp_path / "a.wav", 2.0, 8000))
    assert (info.rate, info.channels, info.frames) == (8000, 1, 16000)
    whole = audio.read(info, 16000)
    assert whole.dtype == np.int16 and whole.shape[1] == 1
    assert abs(len(whole) - 32000) <= 16
    pieces = list(audio.blocks(info, 16000, seconds=0.3))
    assert len(pieces) > 5 and abs(sum(len(p) for p in pieces) - len(whole)) <= 16


@pytest.mark.parametrize("rate", [11025, 22050, 44100, 48000])
def test_any_usual_rate_is_resampled(tmp_path: Path, rate: int) -> None:
    info = audio.probe(wav(tmp_path / "x.wav", 1.0, rate))
    assert abs(len(audio.read(info, 16000)) - 16000) <= 16


def test_mulaw_wav_and_asterisk_raw_formats_are_read(tmp_path: Path) -> None:
    assert audio.probe(wav(tmp_path / "u.wav", subtype="ULAW")).subtype == "ULAW"
    x = tone(1.0, 8000)
    (tmp_path / "a.sln").write_bytes(x.tobytes())
    sln = audio.probe(tmp_path / "a.sln")
    assert (sln.rate, sln.frames) == (8000, 8000)
    assert np.array_equal(audio.read(sln)[:, 0], x)
    (tmp_path / "b.sln16").write_bytes(tone(1.0, 16000).tobytes())
    assert audio.probe(tmp_path / "b.sln16").rate == 16000


def test_stereo_keeps_both_channels(tmp_path: Path) -> None:
    info = audio.probe(wav(tmp_path / "s.wav", 1.0, 8000, channels=2))
    assert info.channels == 2 and audio.read(info, 16000).shape[1] == 2


def test_missing_file_is_retryable(tmp_path: Path) -> None:
    with pytest.raises(audio.AudioMissing, match="not found") as err:
        audio.probe(tmp_path / "nope.wav")
    assert err.value.retry


def test_empty_and_header_only_files_are_refused_for_good(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(audio.AudioEmpty, match="0 bytes") as err:
        audio.probe(tmp_path / "empty.wav")
    assert not err.value.retry
    sf.write(str(tmp_path / "hdr.wav"), np.zeros(0, dtype=np.int16), 8000, subtype="PCM_16")
    with pytest.raises(audio.AudioEmpty, match="no audio"):
        audio.probe(tmp_path / "hdr.wav")


def test_corrupt_file_is_refused_for_good(tmp_path: Path) -> None:
    (tmp_path / "junk.wav").write_bytes(os.urandom(4000))
    with pytest.raises(audio.AudioCorrupt, match="not a readable audio file") as err:
        audio.probe(tmp_path / "junk.wav")
    assert not err.value.retry


def test_truncated_and_unfinished_wavs_are_incomplete_and_retryable(tmp_path: Path) -> None:
    data = wav(tmp_path / "ok.wav", 2.0).read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    with pytest.raises(audio.AudioIncomplete, match="truncated") as err:
        audio.probe(tmp_path / "cut.wav")
    assert err.value.retry
    head = bytearray(data)
    pos = head.index(b"data") + 4
    head[pos:pos + 4] = b"\0\0\0\0"  # what a writer that has not closed the file leaves
    (tmp_path / "open.wav").write_bytes(bytes(head))
    with pytest.raises(audio.AudioIncomplete, match="not finalised"):
        audio.probe(tmp_path / "open.wav")


def test_rates_and_channel_counts_we_cannot_use(tmp_path: Path) -> None:
    with pytest.raises(audio.AudioUnsupported, match="4000 Hz"):
        audio.probe(wav(tmp_path / "low.wav", 1.0, 4000))
    with pytest.raises(audio.AudioUnsupported, match="3 channels"):
        audio.probe(wav(tmp_path / "three.wav", 1.0, 8000, channels=3))


def test_huge_files_are_refused_before_reading(tmp_path: Path) -> None:
    path = wav(tmp_path / "long.wav", 3.0)
    with pytest.raises(audio.AudioTooLarge, match="MB limit"):
        audio.probe(path, audio.Limits(max_bytes=10_000))
    with pytest.raises(audio.AudioTooLarge, match="h limit"):
        audio.probe(path, audio.Limits(max_seconds=2.0))
    # A sparse 3 GB file: refused from its size alone, nothing is read.
    big = tmp_path / "huge.wav"
    with open(big, "wb") as f:
        f.write(path.read_bytes()[:44])
        f.truncate(3 * 2**30)
    with pytest.raises(audio.AudioTooLarge):
        audio.probe(big)


def test_write_wav_never_leaves_a_half_file(tmp_path: Path) -> None:
    target = tmp_path / "qa" / "c.wav"
    audio.write_wav(target, tone(0.5, 8000), 8000)
    assert audio.probe(target).frames == 4000
    assert not list(target.parent.glob("*.part"))


def test_resampling_for_recognition_picks_each_stereo_channel(tmp_path: Path) -> None:
    """ffmpeg (what vosk-transcriber uses) resamples one channel at a time; soxr without it."""
    left, right = tone(1.0, 8000), np.zeros(8000, dtype=np.int16)
    sf.write(str(tmp_path / "s.wav"), np.stack([left, right], axis=1), 8000, subtype="PCM_16")
    info = audio.probe(tmp_path / "s.wav")
    assert audio.ffmpeg() is not None  # imageio-ffmpeg is a test dependency
    ch0 = np.concatenate(list(audio.channel_blocks(info, 16000, 0, seconds=0.3)))
    ch1 = np.concatenate(list(audio.channel_blocks(info, 16000, 1, seconds=0.3)))
    assert abs(len(ch0) - 16000) <= 16 and len(ch1) == len(ch0)
    assert np.abs(ch0).max() > 4000 and np.abs(ch1).max() == 0
    same_rate = np.concatenate(list(audio.channel_blocks(info, 8000, 0)))
    assert np.array_equal(same_rate, left)  # no resampling: the file's own samples


def test_ffmpeg_failure_is_a_clear_corrupt_error(tmp_path: Path) -> None:
    info = audio.probe(wav(tmp_path / "a.wav", 1.0, 8000))
    (tmp_path / "a.wav").write_bytes(b"RIFF" + os.urandom(2000))  # replaced after the probe
    with pytest.raises(audio.AudioCorrupt, match="ffmpeg"):
        list(audio.channel_blocks(info, 16000))
