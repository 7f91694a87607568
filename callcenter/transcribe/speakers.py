"""Two word streams (caller, agent) into one timeline of turns.

A turn is one speaker's run of words until the other speaker's next word
starts.  Overlapping speech (both talking at once) interleaves by start time,
so a turn never hides the other side's words that happened during it.
"""
from __future__ import annotations

from typing import Any

from .recognize import Word

Turn = dict[str, Any]  # {"speaker", "start", "end", "words": [Word, ...]}


def merge(streams: dict[str, list[Word]]) -> list[Turn]:
    """Turns ordered by time; words inside a turn ordered by time."""
    tagged = sorted(
        ((w["start"], w["end"], speaker, w) for speaker, words in streams.items() for w in words),
        key=lambda t: (t[0], t[1], t[2]),
    )
    turns: list[Turn] = []
    for _start, _end, speaker, word in tagged:
        if turns and turns[-1]["speaker"] == speaker:
            turns[-1]["words"].append(word)
            turns[-1]["end"] = max(turns[-1]["end"], word["end"])
        else:
            turns.append({"speaker": speaker, "start": word["start"], "end": word["end"],
                          "words": [word]})
    return turns


def text_of(turns: list[Turn]) -> str:
    """Searchable text: one line per turn, 'speaker: words'."""
    return "\n".join(f"{t['speaker']}: {' '.join(w['w'] for w in t['words'])}" for t in turns)


def words_of(turns: list[Turn], speaker: str | None = None) -> list[Word]:
    return [w for t in turns if speaker in (None, t["speaker"]) for w in t["words"]]
