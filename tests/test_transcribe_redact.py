"""Card numbers spoken as words are found, cut from the transcript and silenced in QA audio."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from callcenter.tickets.numbers import luhn_valid
from callcenter.transcribe import audio, pipeline, redact
from callcenter.transcribe.numbers import digit_runs
from callcenter.transcribe.recognize import Word
from callcenter.transcribe.speakers import Turn, merge, text_of

CARD = "4111111111111111"
EN_DIGITS = "zero one two three four five six seven eight nine".split()


def timed(words: list[str], start: float = 0.0, step: float = 0.4) -> list[Word]:
    return [{"w": w, "start": round(start + i * step, 3), "end": round(start + i * step + 0.3, 3),
             "conf": 0.9} for i, w in enumerate(words)]


def test_number_words_become_digits_with_their_words() -> None:
    (run,) = digit_runs("my card is four one one one thanks".split(), "en")
    assert (run.first, run.last, run.digits) == (3, 6, "4111")
    (run,) = digit_runs("forty one eleven".split(), "en")
    assert run.digits == "4111" and run.words_for(0, 2) == (0, 1) and run.words_for(2, 4) == (2, 2)
    assert digit_runs("oh seven".split(), "en")[0].digits == "07"
    assert digit_runs("卡号 四 一一 四千一百".split(), "zh")[0].digits == "4114100"
    assert digit_runs("번호 사 일 일 일 입니다".split(), "ko")[0].digits == "4111"
    assert digit_runs("no numbers here".split(), "en") == []


def test_card_spans_need_luhn_and_a_card_prefix() -> None:
    assert luhn_valid(CARD)
    assert redact.card_spans("99" + CARD + "7") == [(2, 18)]
    assert redact.card_spans("4111111111111112") == []       # Luhn fails
    assert luhn_valid("1000000000000008") and redact.card_spans("1000000000000008") == []  # no card starts 0/1
    assert redact.card_spans("4111") == []


def spoken_card_turns() -> list[Turn]:
    caller = timed(["my", "card", "is"] + [EN_DIGITS[int(d)] for d in CARD] + ["thanks"], start=2.0)
    agent = timed(["go", "ahead"], start=0.5) + timed(["thank", "you"], start=12.0)
    return merge({"caller": caller, "agent": agent})


def test_a_spoken_card_number_is_redacted_from_the_turns() -> None:
    turns, spans = redact.redact(spoken_card_turns(), "en", redact.Rules())
    text = text_of(turns)
    assert "[card]" in text and "four" not in text and "one" not in text.replace("done", "")
    (span,) = spans
    assert span["kind"] == "card" and span["speaker"] == "caller"
    assert span["start"] == 2.0 + 3 * 0.4 and span["end"] == round(2.0 + 18 * 0.4 + 0.3, 3)
    placeholder = next(w for t in turns for w in t["words"] if w.get("redacted"))
    assert (placeholder["start"], placeholder["end"]) == (span["start"], span["end"])
    assert [t["speaker"] for t in turns] == ["agent", "caller", "agent"]


def test_configured_patterns_match_digits_and_words() -> None:
    words = timed("my social is one two three four five six seven eight nine ok".split())
    rules = redact.Rules.build(cards=True, patterns={"ssn": r"\b\d{9}\b", "secret": r"(?i)\bok\b"})
    turns, spans = redact.redact(merge({"caller": words}), "en", rules)
    assert [s["kind"] for s in spans] == ["ssn", "secret"]
    assert text_of(turns) == "caller: my social is [ssn] [secret]"


def test_muted_spans_drop_words_and_are_listed() -> None:
    words = timed(["a", "b", "c", "d"], start=0.0, step=1.0)
    turns, spans = redact.redact(merge({"caller": words}), "en", redact.Rules(), [(0.9, 2.5)])
    assert [w["w"] for w in turns[0]["words"]] == ["a", "d"]
    assert spans == [{"start": 0.9, "end": 2.5, "kind": "muted", "speaker": None}]


def test_the_qa_copy_is_silent_exactly_over_the_redacted_span(tmp_path: Path) -> None:
    rate = 8000
    noise = (np.random.default_rng(1).normal(0, 3000, rate * 14)).astype(np.int16)
    sf.write(str(tmp_path / "mix.wav"), noise, rate, subtype="PCM_16")
    src = pipeline.Source(tmp_path / "mix.wav", "mixed")
    _, spans = redact.redact(spoken_card_turns(), "en", redact.Rules())
    out = tmp_path / "qa.wav"
    pipeline.write_qa_copy([(src, audio.probe(src.path))], spans, 0.25, out)
    qa, qa_rate = sf.read(str(out), dtype="int16")
    assert qa_rate == rate and len(qa) == len(noise)
    a, b = int((spans[0]["start"] - 0.25) * rate), int((spans[0]["end"] + 0.25) * rate)
    assert not qa[a:b].any()
    assert np.array_equal(qa[: a - 1], noise[: a - 1]) and np.array_equal(qa[b + 1:], noise[b + 1:])
