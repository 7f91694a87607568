"""Spoken numbers to digits, remembering which words said which digit.

Vosk writes "four one one one" or "forty one eleven", never "4111".  Finding
a card number means turning runs of number words into digits; silencing it
means knowing which words (and so which seconds of audio) each digit came
from.  English composition ("twenty one" -> 21) is ``text2num``'s; Mandarin
numerals with units ("四千一百") are ``cn2an``'s; digit-by-digit Mandarin and
Sino-Korean digits are a plain character map.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

EN_WORDS = frozenset(
    "zero oh o one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
    "seventy eighty ninety hundred thousand".split()
)
ZH_DIGITS = dict(zip("零〇一二三四五六七八九幺两", "0012345678912", strict=True))
ZH_UNITS = frozenset("十百千万")
KO_DIGITS = dict(zip("공영일이삼사오육칠팔구", "00123456789", strict=True))


@dataclass
class DigitRun:
    """Consecutive number words ``first..last`` (inclusive) and the digits they say.

    ``owners[k]`` is the (first, last) word index that produced digit ``k``.
    """

    first: int
    last: int
    digits: str = ""
    owners: list[tuple[int, int]] = field(default_factory=list)

    def words_for(self, a: int, b: int) -> tuple[int, int]:
        """Word range that said digits ``a..b-1``."""
        spans = self.owners[a:b]
        return min(s[0] for s in spans), max(s[1] for s in spans)


def token_digits(token: str, language: str) -> str | None:
    """Digits one token says on its own, or None if it is not a number word."""
    t = token.strip().lower()
    if t.isascii() and t.isdigit():
        return t
    if language == "zh" and t and all(c in ZH_DIGITS or c in ZH_UNITS for c in t):
        if any(c in ZH_UNITS for c in t):
            import cn2an

            return str(cn2an.cn2an(t, "smart"))
        return "".join(ZH_DIGITS[c] for c in t)
    if language == "ko" and t and all(c in KO_DIGITS for c in t):
        return "".join(KO_DIGITS[c] for c in t)
    if language == "en" and t in EN_WORDS:
        return _english([t])
    return None


def _english(words: list[str]) -> str:
    from text_to_num import alpha2digit

    spoken = " ".join("zero" if w in ("oh", "o") else w for w in words)
    return re.sub(r"\D", "", alpha2digit(spoken, "en", threshold=0))


def digit_runs(tokens: list[str], language: str) -> list[DigitRun]:
    """Every run of consecutive number words, converted."""
    runs: list[DigitRun] = []
    i = 0
    while i < len(tokens):
        if token_digits(tokens[i], language) is None:
            i += 1
            continue
        j = i
        while j < len(tokens) and token_digits(tokens[j], language) is not None:
            j += 1
        runs.append(_english_run(tokens, i, j) if language == "en" else _token_run(tokens, i, j, language))
        i = j
    return runs


def _token_run(tokens: list[str], i: int, j: int, language: str) -> DigitRun:
    run = DigitRun(i, j - 1)
    for n in range(i, j):
        d = token_digits(tokens[n], language) or ""
        run.digits += d
        run.owners += [(n, n)] * len(d)
    return run


def _english_run(tokens: list[str], i: int, j: int) -> DigitRun:
    """Convert growing prefixes: a digit's owner is the words that set or changed it."""
    run = DigitRun(i, j - 1)
    words = [t.strip().lower() for t in tokens[i:j]]
    for n in range(len(words)):
        new = _english(words[: n + 1])
        owners = run.owners[: len(new)]
        for k, ch in enumerate(new):
            if k >= len(owners):
                owners.append((i + n, i + n))
            elif k >= len(run.digits) or ch != run.digits[k]:
                owners[k] = (owners[k][0], i + n)
        run.digits, run.owners = new, owners
    return run
