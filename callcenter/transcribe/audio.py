"""Reading recordings: check them first, then stream blocks at the model's rate.

Recordings are untrusted input: a file may be missing, empty, still being
written, cut short, not audio at all or absurdly large.  Each case raises its
own ``AudioError`` whose message says what is wrong and whose ``retry`` says
whether waiting could help (a file still being written) or not (garbage).
libsndfile (``soundfile``) reads the containers MixMonitor writes (WAV in
PCM, mu-law, a-law or GSM); the raw formats (``.ulaw``, ``.alaw``, ``.sln``)
are described by their extension.

Resampling for recognition goes through ffmpeg when one is installed (on
PATH, or the ``imageio-ffmpeg`` package's): that is what ``vosk-transcriber``
does, so both hand the model the very same samples and the words can be
compared one for one.  Without ffmpeg, and for the QA copy, ``soxr`` does it.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from ..pbx.wav import read_header

MIN_RATE, MAX_RATE = 8000, 192000
# Asterisk's raw formats: extension -> (libsndfile subtype, sample rate).
RAW_FORMATS = {
    ".ulaw": ("ULAW", 8000), ".ul": ("ULAW", 8000), ".pcm": ("ULAW", 8000),
    ".alaw": ("ALAW", 8000), ".al": ("ALAW", 8000),
    ".sln": ("PCM_16", 8000), ".raw": ("PCM_16", 8000), ".sln16": ("PCM_16", 16000),
    ".sln32": ("PCM_16", 32000), ".sln48": ("PCM_16", 48000),
}


class AudioError(Exception):
    """A recording we cannot transcribe; ``retry`` says whether waiting may help."""

    retry = False


class AudioMissing(AudioError):
    retry = True  # the file may not have been moved into place yet


class AudioIncomplete(AudioError):
    retry = True  # still being written, or copied only in part


class AudioEmpty(AudioError):
    pass


class AudioCorrupt(AudioError):
    pass


class AudioUnsupported(AudioError):
    pass


class AudioTooLarge(AudioError):
    pass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 500 * 2**20
    max_seconds: float = 6 * 3600.0


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    rate: int
    channels: int
    frames: int
    subtype: str

    @property
    def duration(self) -> float:
        return self.frames / self.rate


def probe(path: Path, limits: Limits = Limits()) -> AudioInfo:
    """Everything we need to know before decoding, or a clear ``AudioError``."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioMissing(f"recording not found: {path}") from None
    except OSError as exc:
        raise AudioMissing(f"recording unreadable: {path} ({exc.strerror})") from None
    if not path.is_file():
        raise AudioCorrupt(f"not a regular file: {path}")
    if size == 0:
        raise AudioEmpty(f"recording is empty (0 bytes): {path}")
    if size > limits.max_bytes:
        raise AudioTooLarge(f"recording is {size / 2**20:.0f} MB, over the "
                            f"{limits.max_bytes / 2**20:.0f} MB limit: {path}")
    info = _info(path)
    if info.rate < MIN_RATE or info.rate > MAX_RATE:
        raise AudioUnsupported(f"sample rate {info.rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz: {path}")
    if info.channels > 2:
        raise AudioUnsupported(f"{info.channels} channels; expected mono or stereo: {path}")
    if info.frames == 0:
        raise AudioEmpty(f"recording holds no audio (header only): {path}")
    if info.duration > limits.max_seconds:
        raise AudioTooLarge(f"recording lasts {info.duration / 3600:.1f} h, over the "
                            f"{limits.max_seconds / 3600:.1f} h limit: {path}")
    return info


def _info(path: Path) -> AudioInfo:
    raw = RAW_FORMATS.get(path.suffix.lower())
    try:
        if raw:
            with _open(path, raw) as f:
                return AudioInfo(path, f.samplerate, f.channels, f.frames, raw[0])
        _check_wav_sizes(path)
        i = sf.info(str(path))
    except sf.LibsndfileError as exc:
        raise AudioCorrupt(f"not a readable audio file ({exc.error_string}): {path}") from None
    return AudioInfo(path, int(i.samplerate), int(i.channels), int(i.frames), i.subtype)


def _open(path: Path, raw: tuple[str, int] | None) -> sf.SoundFile:
    if raw:
        return sf.SoundFile(str(path), format="RAW", subtype=raw[0], samplerate=raw[1], channels=1)
    return sf.SoundFile(str(path))


def _check_wav_sizes(path: Path) -> None:
    """Compare a WAV's declared data size with the bytes really there.

    libsndfile trusts the header: a file Asterisk is still writing (sizes not
    yet filled in) reads as empty, and a file cut short reads as shorter, both
    silently.  Either way the recording is not complete yet.
    """
    header = read_header(path)
    if header is None or not header.riff:
        return  # not RIFF/WAVE (or gone): libsndfile decides
    if header.data_offset is None:
        raise AudioIncomplete(f"WAV has no data chunk (cut short?): {path}")
    if header.data_length > header.data_present + 1:
        raise AudioIncomplete(f"recording is truncated: header promises {header.data_length} bytes of audio, "
                              f"the file holds {header.data_present}: {path}")
    if header.data_length == 0 and header.data_present > 0:
        raise AudioIncomplete(f"WAV header not finalised (still being written?): {path}")


def blocks(info: AudioInfo, rate: int, seconds: float = 10.0) -> Iterator[np.ndarray]:
    """The recording as int16 blocks of shape (frames, channels) at ``rate``."""
    raw = RAW_FORMATS.get(info.path.suffix.lower())
    step = max(1, int(info.rate * seconds))
    resampler = None
    if info.rate != rate:
        resampler = soxr.ResampleStream(info.rate, rate, info.channels, dtype="int16", quality="HQ")
    try:
        with _open(info.path, raw) as f:
            while True:
                block = f.read(step, dtype="int16", always_2d=True)
                last = len(block) < step
                if resampler is not None:
                    block = resampler.resample_chunk(block, last=last)
                if len(block):
                    yield block
                if last:
                    return
    except sf.LibsndfileError as exc:
        raise AudioCorrupt(f"audio data unreadable ({exc.error_string}): {info.path}") from None


def channel_blocks(info: AudioInfo, rate: int, channel: int = 0,
                   seconds: float = 5.0) -> Iterator[np.ndarray]:
    """One channel as 1-d int16 blocks at ``rate``, resampled by ffmpeg when there is one."""
    exe = ffmpeg() if info.rate != rate else None
    if exe is None:
        for block in blocks(info, rate, seconds):
            yield block[:, channel]
        return
    yield from _ffmpeg_blocks(exe, info, rate, channel, seconds)


def ffmpeg() -> str | None:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        return None


def _ffmpeg_blocks(exe: str, info: AudioInfo, rate: int, channel: int,
                   seconds: float) -> Iterator[np.ndarray]:
    # The command vosk-transcriber runs (-ar as it spells it), plus the raw formats' description.
    raw = RAW_FORMATS.get(info.path.suffix.lower())
    fmt = ["-f", {"ULAW": "mulaw", "ALAW": "alaw"}.get(raw[0], "s16le"), "-ar", str(raw[1]),
           "-ac", "1"] if raw else []
    pick = ["-af", f"pan=mono|c0=c{channel}"] if info.channels > 1 else []
    cmd = [exe, "-nostdin", "-loglevel", "error", *fmt, "-i", str(info.path), *pick,
           "-ar", f"{float(rate)}", "-ac", "1", "-f", "s16le", "-"]
    step = 2 * max(1, int(rate * seconds))
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            while data := proc.stdout.read(step):
                yield np.frombuffer(data[: len(data) // 2 * 2], dtype=np.int16)
        except BaseException:
            proc.kill()  # the reader stopped early (a stop, an error): ffmpeg goes too
            raise
        err = proc.stderr.read().decode(errors="replace").strip()
        if proc.wait() != 0:
            raise AudioCorrupt(f"audio data unreadable (ffmpeg: {err[-300:] or proc.returncode}): "
                               f"{info.path}")


def read(info: AudioInfo, rate: int | None = None) -> np.ndarray:
    """The whole recording (frames, channels) as int16, optionally resampled."""
    parts = list(blocks(info, rate or info.rate, seconds=60.0))
    if not parts:
        return np.zeros((0, info.channels), dtype=np.int16)
    return np.concatenate(parts)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """16-bit PCM WAV, written beside the target and renamed so readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    sf.write(str(tmp), samples, rate, subtype="PCM_16", format="WAV")
    tmp.replace(path)
