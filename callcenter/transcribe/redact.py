"""Redaction: card numbers and configured patterns out of transcripts and QA audio.

Each speaker's words are read with number words as digits (``numbers.py``);
Luhn-valid 13-19 digit card numbers and every configured pattern are found
there and mapped back to the words that said them.  Those words become one
placeholder word with the same start and end (so the QA page still seeks
there), and the same seconds are silenced in the QA copy of the audio.
Spans MixMonitorMute already silenced (a payment step) are kept as spans too
and any word recognised inside them is dropped.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tickets.numbers import luhn_valid
from .numbers import digit_runs
from .recognize import Word
from .speakers import Turn, merge

CARD_LENGTHS = range(19, 12, -1)  # longest first
CARD_FIRST_DIGITS = "23456"       # Mastercard 2-series, Amex/JCB/Diners, Visa, MC, Discover/UnionPay


@dataclass(frozen=True)
class Rules:
    cards: bool = True
    patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def build(cls, cards: bool, patterns: dict[str, str]) -> Rules:
        try:
            compiled = tuple((name, re.compile(rx)) for name, rx in patterns.items())
        except re.error as exc:
            raise ValueError(f"bad [transcribe] redact_patterns entry: {exc}") from exc
        return cls(cards, compiled)


def card_spans(digits: str) -> list[tuple[int, int]]:
    """Non-overlapping digit ranges that are plausible card numbers (Luhn-valid)."""
    found: list[tuple[int, int]] = []
    a = 0
    while a < len(digits):
        for n in CARD_LENGTHS:
            chunk = digits[a:a + n]
            if len(chunk) == n and chunk[0] in CARD_FIRST_DIGITS and luhn_valid(chunk):
                found.append((a, a + n))
                a += n
                break
        else:
            a += 1
    return found


def find(words: list[Word], language: str, rules: Rules) -> list[tuple[int, int, str]]:
    """(first word, last word, kind) ranges to redact in one speaker's words."""
    tokens = [w["w"] for w in words]
    runs = digit_runs(tokens, language)
    hits: list[tuple[int, int, str]] = []
    if rules.cards:
        for run in runs:
            hits += [(*run.words_for(a, b), "card") for a, b in card_spans(run.digits)]
    if rules.patterns:
        text, pieces = _normalised(tokens, runs)
        for name, rx in rules.patterns:
            for m in rx.finditer(text):
                hit = _words_at(pieces, m.start(), m.end())
                if hit:
                    hits.append((*hit, name))
    return hits


def _normalised(tokens: list[str], runs: list[Any]) -> tuple[str, list[tuple[int, int, Any]]]:
    """Text with each number run as digits; pieces are (char start, word index | run)."""
    by_first = {r.first: r for r in runs}
    parts: list[str] = []
    pieces: list[tuple[int, int, Any]] = []
    pos, i = 0, 0
    while i < len(tokens):
        run = by_first.get(i)
        piece = run.digits if run else tokens[i]
        pieces.append((pos, pos + len(piece), run if run else i))
        parts.append(piece)
        pos += len(piece) + 1
        i = run.last + 1 if run else i + 1
    return " ".join(parts), pieces


def _words_at(pieces: list[tuple[int, int, Any]], a: int, b: int) -> tuple[int, int] | None:
    spans = []
    for start, end, what in pieces:
        if end <= a or start >= b:
            continue
        if isinstance(what, int):
            spans.append((what, what))
        else:
            spans.append(what.words_for(max(a, start) - start, min(b, end) - start))
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def redact(turns: list[Turn], language: str, rules: Rules,
           muted: Sequence[tuple[float, float]] = ()) -> tuple[list[Turn], list[dict[str, Any]]]:
    """Redacted turns and the spans removed: [{"start","end","kind","speaker"}]."""
    streams: dict[str, list[Word]] = {}
    spans: list[dict[str, Any]] = [
        {"start": a, "end": b, "kind": "muted", "speaker": None} for a, b in muted]
    for turn in turns:
        streams.setdefault(turn["speaker"], []).extend(
            w for w in turn["words"] if not any(a <= w["start"] < b for a, b in muted))
    for speaker, words in streams.items():
        for first, last, kind in reversed(_disjoint(find(words, language, rules))):
            start, end = words[first]["start"], words[last]["end"]
            words[first:last + 1] = [{"w": f"[{kind}]", "start": start, "end": end,
                                      "conf": 1.0, "redacted": kind}]
            spans.append({"start": start, "end": end, "kind": kind, "speaker": speaker})
    spans.sort(key=lambda s: (s["start"], s["end"]))
    return merge(streams), spans


def _disjoint(hits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping hits (a card inside a pattern) become one range."""
    out: list[tuple[int, int, str]] = []
    for first, last, kind in sorted(hits, key=lambda h: (h[0], -h[1])):
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(last, out[-1][1]), out[-1][2])
        else:
            out.append((first, last, kind))
    return out


def silence(samples: np.ndarray, rate: int, spans: list[dict[str, Any]], padding: float) -> int:
    """Zero the spans (plus padding) in place; returns how many samples were silenced."""
    total = 0
    for span in spans:
        a = max(0, int((span["start"] - padding) * rate))
        b = min(len(samples), int(np.ceil((span["end"] + padding) * rate)))
        if b > a:
            samples[a:b] = 0
            total += b - a
    return total
