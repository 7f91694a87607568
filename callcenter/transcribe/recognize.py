"""Audio in, timed words out: one Vosk recogniser per stream (they are not thread-safe).

Audio goes in chunks of 0.125 s with a partial result asked after each, the
way ``vosk-transcriber`` feeds it: Vosk's endpointing depends on the chunking,
so the same samples then give the same words as the reference tool.

Kaldi dithers the audio (mfcc ``dither=1``) with noise drawn from the C
library's process-wide ``rand()``, so a stream's words depend on how many
frames the process decoded before it.  Each stream therefore starts from the
state a fresh process has right after loading the model (``srand(1)`` and the
draws the model load made): a recording gets the same words whichever worker
takes it and whatever it did before, the words ``vosk-transcriber`` gives it
alone.  Streams are decoded one after the other, never interleaved, for the
same reason.
"""
from __future__ import annotations

import ctypes
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import audio, models, vad

CHUNK_SECONDS = 0.125
Word = dict[str, Any]  # {"w": str, "start": s, "end": s, "conf": 0..1}


class StreamRecognizer:
    """One speaker's stream: feed int16 samples, collect finished words."""

    def __init__(self, model: Any, rate: int, offset: float = 0.0):
        from vosk import KaldiRecognizer

        self.rate = rate
        self.offset = offset
        self.partial = ""
        reseed_dither(model)
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
                   progress: Callable[[float], None] | None = None,
                   speech_only: vad.VadSettings | None = None) -> list[list[Word]]:
    """Every channel of a recording transcribed on its own: one word list per channel.  With
    ``speech_only``, only the stretches with speech in them are decoded (see ``vad``)."""
    out: list[list[Word]] = []
    for ch in range(info.channels):
        rec = StreamRecognizer(model, rate, offset)
        words: list[Word] = []
        if speech_only is not None:
            samples = np.concatenate([np.zeros(0, dtype=np.int16), *audio.channel_blocks(info, rate, ch)])
            out.append(_speech(rec, samples, rate, offset, speech_only))
            if progress:
                progress(len(samples) / rate / info.channels)
            continue
        for block in audio.channel_blocks(info, rate, ch):
            words += rec.feed(block)
            if progress:
                progress(len(block) / rate / info.channels)
        out.append(words + rec.finish())
    return out


def _speech(rec: StreamRecognizer, samples: np.ndarray, rate: int, offset: float,
            settings: vad.VadSettings) -> list[Word]:
    """The speech spans fed back to back, each ended as an utterance of its own (Vosk's times run on
    across them), every word's time mapped back to the file's."""
    cuts = [(round(a * rate), round(b * rate)) for a, b in vad.speech_spans(samples, rate, settings)]
    line = vad.Timeline([(a / rate, b / rate) for a, b in cuts])
    rec.offset = 0.0
    words: list[Word] = []
    for a, b in cuts:
        words += rec.feed(samples[a:b])
        words += rec.finish()
    for w in words:
        start = line.to_file(w["start"])
        w["start"], w["end"] = round(start + offset, 3), round(max(start, line.to_file(w["end"])) + offset, 3)
    return words


# -- reproducible dither -------------------------------------------------------
_libc = ctypes.CDLL(None)
_draws: dict[int, int] = {}  # id(model) -> rand() draws its load made
_measured: set[Path] = set()
MAX_DRAWS = 2_000_000


def load_model(path: Path) -> Any:
    """``models.load`` from a known ``rand()`` state, noting the draws the load made.

    Load models through here first: a model ``models.load`` already holds
    counts as having made none (its streams are still reproducible among
    themselves, just not equal to a fresh ``vosk-transcriber``'s).
    """
    key = Path(path).resolve()
    if key in _measured:
        return models.load(key)
    _libc.srand(1)
    model = models.load(key)
    first = _libc.rand()
    _libc.srand(1)
    _draws[id(model)] = next((n for n in range(MAX_DRAWS) if _libc.rand() == first), 0)
    _measured.add(key)
    return model


def reseed_dither(model: Any) -> None:
    """Put ``rand()`` where a fresh process that just loaded ``model`` has it."""
    _libc.srand(1)
    for _ in range(_draws.get(id(model), 0)):
        _libc.rand()
