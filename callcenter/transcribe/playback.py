"""The sound device side: play a call while showing its words, transcribe the microphone.

Both use ``sounddevice`` (PortAudio) on the default device.  Playback runs
on PortAudio's thread; we follow its clock and print each word when its
start time comes, so the words keep pace with what is heard.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .recognize import StreamRecognizer, Word
from .speakers import Turn

Say = Callable[[str], None]


def timed_words(turns: list[Turn]) -> list[tuple[float, str, Word]]:
    return sorted((w["start"], t["speaker"], w) for t in turns for w in t["words"])


def play_with_words(samples: np.ndarray, rate: int, turns: list[Turn], say: Say,
                    device: Any = None) -> int:
    """Play the audio; call ``say`` with each word as it is spoken. Returns words shown."""
    import sounddevice as sd

    words = timed_words(turns)
    duration = len(samples) / rate
    sd.play(samples, rate, device=device)
    started = time.monotonic()
    shown = 0
    try:
        while shown < len(words) or time.monotonic() - started < duration:
            now = time.monotonic() - started
            while shown < len(words) and words[shown][0] <= now:
                start, speaker, word = words[shown]
                say(f"[{_clock(start)}] {speaker}: {word['w']}")
                shown += 1
            if now > duration + 1.0:
                break
            time.sleep(0.02)
        sd.wait()
    finally:
        sd.stop()
    return shown


def _clock(seconds: float) -> str:
    m, s = divmod(seconds, 60)
    return f"{int(m):02d}:{s:05.2f}"


def microphone(rate: int, seconds: float | None, device: Any = None,
               stop: threading.Event | None = None) -> Iterator[np.ndarray]:
    """int16 blocks from the default input device at ``rate``, until stopped."""
    import sounddevice as sd

    blocks: queue.Queue[np.ndarray] = queue.Queue()

    def callback(indata: np.ndarray, _frames: int, _time: Any, _status: Any) -> None:
        blocks.put(indata[:, 0].copy())

    stop = stop or threading.Event()
    deadline = None if seconds is None else time.monotonic() + seconds
    with sd.InputStream(samplerate=rate, channels=1, dtype="int16", blocksize=rate // 8,
                        device=device, callback=callback):
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            try:
                yield blocks.get(timeout=0.25)
            except queue.Empty:
                continue


def live(model: Any, rate: int, say: Say, seconds: float | None = None,
         device: Any = None) -> list[Word]:
    """Transcribe the microphone, printing each utterance when Vosk closes it."""
    rec = StreamRecognizer(model, rate)
    words: list[Word] = []
    for block in microphone(rate, seconds, device):
        done = rec.feed(block)
        if done:
            say(" ".join(w["w"] for w in done))
            words += done
    tail = rec.finish()
    if tail:
        say(" ".join(w["w"] for w in tail))
    return words + tail
