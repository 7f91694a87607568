"""Offline transcripts: speaker-separated turns with timed words."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at, intpk, str20, str200, str_enum, updated_at


class TranscriptStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Transcript(Base):
    """One per call; doubles as the transcription job row workers claim."""

    __tablename__ = "transcripts"
    __table_args__ = (Index("ix_transcripts_status", "status"),)

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
