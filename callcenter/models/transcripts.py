"""Offline transcripts: speaker-separated turns with timed words."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text, event, inspect
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from ..text.search import index_words
from .base import Base, created_at, intpk, str20, str200, str_enum, updated_at


class TranscriptStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Transcript(Base):
    """One per call; doubles as the transcription job row workers claim."""

    __tablename__ = "transcripts"
    __table_args__ = (Index("ix_transcripts_status", "status"),
                      Index("ix_transcripts_updated_at", "updated_at"))  # problems/window.py

    id: Mapped[intpk]
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    status: Mapped[TranscriptStatus] = mapped_column(
        str_enum(TranscriptStatus), default=TranscriptStatus.QUEUED
    )
    language: Mapped[Optional[str20]]
    model: Mapped[Optional[str200]]
    # [{"speaker": "caller"|"agent", "start": s, "end": s, "words": [{"w","start","end","conf"}]}]
    turns: Mapped[list[Any]] = mapped_column(default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    # The caller's side cut into words (callcenter/text) once, when the transcript is written: the desk's
    # suggestions, similar tickets and recurring topics read these instead of cutting a long call every time.
    caller_words: Mapped[str] = mapped_column(Text, default="", server_default=sql("''"))
    redacted: Mapped[bool] = mapped_column(default=False)
    # What was cut out, for the QA page: [{"start","end","kind": "card"|pattern|"muted","speaker"}].
    redactions: Mapped[Optional[list[Any]]] = mapped_column(default=list)
    # The QA copy of the audio (redacted spans silenced), relative to [transcribe] qa_audio_dir.
    qa_audio: Mapped[Optional[str]] = mapped_column(String(400))
    duration_seconds: Mapped[Optional[float]]
    # A retried job is not claimed again before this (backoff for files not ready yet).
    not_before: Mapped[Optional[dt.datetime]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[Optional[str]] = mapped_column(Text)
    worker: Mapped[Optional[str200]]
    started_at: Mapped[Optional[dt.datetime]]
    finished_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    def caller_text(self) -> str:
        return caller_text(self.turns, self.text)


CALLER = "caller"


def caller_text(turns: list[Any] | None, whole: str | None) -> str:
    """The caller's side of the turns (the whole text when the sides are not told apart)."""
    theirs = " ".join(_turn_text(t) for t in turns or [] if isinstance(t, dict) and t.get("speaker") == CALLER)
    return theirs.strip() or whole or ""


def _turn_text(turn: dict[str, Any]) -> str:
    """A turn's words (the transcriber stores them one by one, ``{"w": ...}``; a turn may carry ``text``)."""
    if isinstance(turn.get("text"), str):
        return str(turn["text"])
    return " ".join(str(w.get("w", "")) for w in turn.get("words") or [] if isinstance(w, dict))


@event.listens_for(Transcript, "before_insert")
@event.listens_for(Transcript, "before_update")
def _keep_words(mapper: Any, connection: Any, transcript: Transcript) -> None:
    """Whoever writes the turns (the transcriber, a redaction, an import) keeps the words in step."""
    state = inspect(transcript)
    if state.pending or state.attrs.turns.history.has_changes() or state.attrs.text.history.has_changes():
        transcript.caller_words = index_words(transcript.caller_text())
