"""Where a party speaks: only those stretches of their file are decoded.

In a two-party call each side's own file (MixMonitor's ``r`` and ``t``
files) carries line noise while the other side talks, so about half of every
file is not speech.  webrtcvad (the WebRTC project's detector, a few
microseconds per 30 ms frame) marks the frames with speech; short blips are
dropped, spans a breath apart are joined, and each span is widened by
``padding`` so that a word's soft start and trailing consonant are still
decoded.  The spans are then fed to one recogniser back to back, each closed
as an utterance of its own, and every word's time is mapped back to where it
was said in the file.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import webrtcvad

FRAME_MS = 30
RATES = (8000, 16000, 32000, 48000)
Span = tuple[float, float]  # seconds from the start of the file


@dataclass(frozen=True)
class VadSettings:
    aggressiveness: int = 3  # webrtcvad's 0 (keeps most) to 3 (drops most: line noise is not speech)
    padding: float = 0.3  # seconds added before and after each span
    min_speech: float = 0.12  # shorter runs of speech frames are clicks, not words
    join_gap: float = 0.4  # spans closer than this are one


def speech_spans(samples: np.ndarray, rate: int, settings: VadSettings = VadSettings()) -> list[Span]:
    """The stretches of one channel (int16 at ``rate``) with speech in them, padded and joined."""
    if rate not in RATES:
        raise ValueError(f"webrtcvad takes 8, 16, 32 or 48 kHz audio, not {rate} Hz")
    frame = rate * FRAME_MS // 1000
    count = len(samples) // frame
    if not count:
        return []
    vad = webrtcvad.Vad(settings.aggressiveness)
    pcm = np.ascontiguousarray(samples[: count * frame], dtype=np.int16).tobytes()
    step = frame * 2
    flags = [vad.is_speech(pcm[i * step:(i + 1) * step], rate) for i in range(count)]
    seconds = FRAME_MS / 1000
    runs: list[Span] = []
    start = None
    for i, speech in enumerate([*flags, False]):
        if speech and start is None:
            start = i
        elif not speech and start is not None:
            if (i - start) * seconds >= settings.min_speech:
                runs.append((start * seconds, i * seconds))
            start = None
    duration = len(samples) / rate
    spans: list[Span] = []
    for a, b in runs:
        a, b = max(0.0, a - settings.padding), min(duration, b + settings.padding)
        if spans and a - spans[-1][1] < settings.join_gap:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


class Timeline:
    """Maps a time in the spans fed back to back to the time in the file it came from."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.fed_starts: list[float] = []
        fed = 0.0
        for a, b in spans:
            self.fed_starts.append(fed)
            fed += b - a
        self.fed_total = fed

    def to_file(self, t: float) -> float:
        if not self.spans:
            return t
        i = max(0, bisect.bisect_right(self.fed_starts, t) - 1)
        a, b = self.spans[i]
        return min(b, a + (t - self.fed_starts[i]))
