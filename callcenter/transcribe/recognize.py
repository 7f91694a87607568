"""Audio in, timed words out: one Vosk recogniser per stream (they are not thread-safe).

Audio goes in chunks of 0.125 s with a partial result asked after each, the
way ``vosk-transcriber`` feeds it: Vosk's endpointing depends on the chunking,
so the same samples then give the same words as the reference tool.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import audio

CHUNK_SECONDS = 0.125
Word = dict[str, Any]  # {"w": str, "start": s, "end": s, "conf": 0..1}


class StreamRecognizer:
    """One speaker's stream: feed int16 samples, collect finished words."""

    def __init__(self, model: Any, rate: int, offset: float = 0.0):
        from vosk import KaldiRecognizer

        self.rate = rate
        self.offset = offset
        self.partial = ""
        self._rec = KaldiRecognizer(model, rate)
        self._rec.SetWords(True)
        self._chunk = int(rate * CHUNK_SECONDS)
        self._pending = np.zeros(0, dtype=np.int16)

    def feed(self, samples: np.ndarray) -> list[Word]:
        """Words whose utterance ended within these samples."""
        data = np.concatenate([self._pending, samples.astype(np.int16, copy=False)])
        whole = len(data) - len(data) % self._chunk
        self._pending = data[whole:]
        words: list[Word] = []
        for i in range(0, whole, self._chunk):
            words += self._accept(data[i:i + self._chunk].tobytes())
        return words

    def finish(self) -> list[Word]:
        words = self._accept(self._pending.tobytes()) if len(self._pending) else []
        self._pending = np.zeros(0, dtype=np.int16)
        return words + self._words(self._rec.FinalResult())

    def _accept(self, data: bytes) -> list[Word]:
        if self._rec.AcceptWaveform(data):
            self.partial = ""
            return self._words(self._rec.Result())
        self.partial = json.loads(self._rec.PartialResult()).get("partial", "")
        return []

    def _words(self, result: str) -> list[Word]:
        return [{"w": r["word"], "start": round(r["start"] + self.offset, 3),
                 "end": round(r["end"] + self.offset, 3), "conf": round(float(r["conf"]), 3)}
                for r in json.loads(result).get("result", [])]


def recognize_file(model: Any, info: audio.AudioInfo, rate: int, offset: float = 0.0,
                   progress: Callable[[float], None] | None = None) -> list[list[Word]]:
    """Every channel of a recording transcribed on its own: one word list per channel."""
    recs = [StreamRecognizer(model, rate, offset) for _ in range(info.channels)]
    out: list[list[Word]] = [[] for _ in recs]
    for block in _blocks(info, rate):
        for ch, rec in enumerate(recs):
            out[ch] += rec.feed(block[:, ch])
        if progress:
            progress(len(block) / rate)
    for ch, rec in enumerate(recs):
        out[ch] += rec.finish()
    return out


def _blocks(info: audio.AudioInfo, rate: int) -> Iterator[np.ndarray]:
    return audio.blocks(info, rate, seconds=5.0)
