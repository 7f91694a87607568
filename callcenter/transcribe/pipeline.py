"""One call's recordings to one redacted, speaker-separated transcript (no database).

This is what a worker process runs for a job, and what ``callcenter
transcribe FILE`` runs for a file: check every file, pick the streams to
recognise (the caller's and agent's own files, or a stereo file's channels,
or else the mixed file as one speaker), recognise each with its own
recogniser, merge into turns, redact, and write the QA copy of the audio
with the redacted and muted spans silenced.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import audio, models, redact, vad
from .recognize import Word, load_model, recognize_file
from .speakers import Turn, merge, text_of

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Source:
    """One recording file of the call; ``offset`` is its start on the call's timeline."""

    path: Path
    party: str = "mixed"
    offset: float = 0.0
    muted: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class CallAudio:
    sources: tuple[Source, ...]
    model_path: Path
    language: str
    rules: redact.Rules = field(default_factory=redact.Rules)
    limits: audio.Limits = field(default_factory=audio.Limits)
    stereo_channels: tuple[str, ...] = ("caller", "agent")
    qa_path: Path | None = None
    padding: float = 0.25
    speech_only: vad.VadSettings | None = field(default_factory=vad.VadSettings)  # None: every second decoded


@dataclass
class Result:
    turns: list[Turn]
    text: str
    redactions: list[dict[str, Any]]
    duration: float
    qa_path: Path | None = None
    words: int = field(default=0)


def start_worker_process(preload: list[str]) -> None:
    """A worker process loads the usual model when it starts, not on its first call.

    Worker processes import only this module's world (numpy, soundfile, soxr,
    vosk), not the database or web stack (see ``worker.lean_spawn``), so their
    memory is the model's plus the audio's.
    """
    for path in preload:
        load_model(Path(path))


def run_job(job: CallAudio) -> Result:
    return transcribe_call(job)


def party_from_name(path: Path) -> str:
    """MixMonitor files are <linkedid>-<uniqueid>[-caller|-agent].wav."""
    stem = Path(path).stem.lower()
    return next((p for p in ("caller", "agent") if stem.endswith(f"-{p}")), "mixed")


def transcribe_call(job: CallAudio, progress: Progress | None = None) -> Result:
    infos = [(src, audio.probe(src.path, job.limits)) for src in job.sources]
    if not infos:
        raise audio.AudioEmpty("the call has no recordings")
    model = load_model(job.model_path)
    rate = models.sample_rate(job.model_path)
    streams: dict[str, list[Word]] = {}
    for src, info in _to_recognise(infos):
        names = _speakers(src, info, job.stereo_channels)
        for name, words in zip(names, recognize_file(model, info, rate, src.offset, progress, job.speech_only),
                               strict=True):
            streams.setdefault(name, []).extend(words)
    muted = sorted((src.offset + a, src.offset + b) for src, _ in infos for a, b in src.muted)
    turns, spans = redact.redact(merge(streams), job.language, job.rules, muted)
    duration = max(src.offset + info.duration for src, info in infos)
    result = Result(turns, text_of(turns), spans, round(duration, 3),
                    words=sum(len(t["words"]) for t in turns))
    if job.qa_path is not None:
        write_qa_copy(infos, spans, job.padding, job.qa_path)
        result.qa_path = job.qa_path
    return result


def _to_recognise(infos: list[tuple[Source, audio.AudioInfo]]) -> list[tuple[Source, audio.AudioInfo]]:
    """Each party's own file when there is one; the mixed file only otherwise."""
    own = [(s, i) for s, i in infos if s.party != "mixed"]
    return own or infos


def _speakers(src: Source, info: audio.AudioInfo, stereo: tuple[str, ...]) -> list[str]:
    if info.channels == 1:
        return [src.party]
    if src.party != "mixed":
        return [src.party] * info.channels
    return list(stereo[: info.channels])


def write_qa_copy(infos: list[tuple[Source, audio.AudioInfo]], spans: list[dict[str, Any]],
                  padding: float, path: Path) -> None:
    """What QA hears: the mixed file (or the parties summed), spans silenced."""
    mixed = [(s, i) for s, i in infos if s.party == "mixed"]
    chosen = mixed or infos
    rate = max(i.rate for _, i in chosen)
    channels = max(i.channels for _, i in chosen)
    length = max(round((s.offset + i.duration) * rate) for s, i in chosen)
    out = np.zeros((length, channels), dtype=np.int32)
    for src, info in chosen:
        samples = audio.read(info, rate)
        start = round(src.offset * rate)
        end = min(length, start + len(samples))
        out[start:end, : samples.shape[1]] += samples[: end - start]
        if samples.shape[1] == 1 and channels == 2:
            out[start:end, 1] += samples[: end - start, 0]
    pcm = np.clip(out, -32768, 32767).astype(np.int16)
    redact.silence(pcm, rate, spans, padding)
    audio.write_wav(path, pcm, rate)
