"""Transcripts for QA tests: hand-made turns with timed words, stored as the worker stores them."""
from __future__ import annotations

from typing import Any

from callcenter.db import transaction
from callcenter.models import Transcript, utcnow
from callcenter.models.transcripts import TranscriptStatus
from callcenter.transcribe.speakers import text_of

from .deskdata import write_wav


def turn(speaker: str, words: str, start: float, step: float = 0.5, conf: float = 0.95) -> dict[str, Any]:
    ws = [{"w": w, "start": round(start + i * step, 2), "end": round(start + i * step + 0.4, 2), "conf": conf}
          for i, w in enumerate(words.split())]
    return {"speaker": speaker, "start": ws[0]["start"], "end": ws[-1]["end"], "words": ws}


REFUND_CALL = [
    turn("agent", "thank you for calling how can I help", 0.0),
    turn("caller", "I want a refund for my order", 4.0, conf=0.5),
    {"speaker": "caller", "start": 8.0, "end": 9.0,
     "words": [{"w": "[card]", "start": 8.0, "end": 9.0, "conf": 1.0, "redacted": "card"}]},
    turn("agent", "let me check that refund now", 10.0),
]


def add_transcript(container: Any, call_id: int, turns: list[dict[str, Any]] | None = None,
                   status: TranscriptStatus = TranscriptStatus.DONE, error: str | None = None,
                   audio_seconds: float | None = 14.0) -> int:
    """A transcript row as the worker leaves it, with its QA audio copy when asked."""
    turns = REFUND_CALL if turns is None else turns
    qa_audio = None
    if audio_seconds is not None and status is TranscriptStatus.DONE:
        qa_audio = f"call-{call_id}.wav"
        write_wav(container.settings.qa_audio_dir() / qa_audio, audio_seconds)
    with transaction(container.session_factory) as s:
        done = status is TranscriptStatus.DONE
        row = Transcript(call_id=call_id, status=status, error=error, language="en", turns=turns if done else [],
                         text=text_of(turns) if done else "", redacted=done, qa_audio=qa_audio,
                         redactions=[{"start": 8.0, "end": 9.0, "kind": "card", "speaker": "caller"}] if done else [],
                         duration_seconds=audio_seconds, finished_at=utcnow() if done else None)
        s.add(row)
        s.flush()
        return row.id
