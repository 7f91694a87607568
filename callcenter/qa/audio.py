"""The redacted QA copy of a call's audio: where it is (never outside its folder), and each listen audited."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..config import Settings


def qa_audio_path(settings: Settings, relative: str | None) -> Path | None:
    """Absolute path of a transcript's QA copy (``Transcript.qa_audio``), if any."""
    if not relative:
        return None
    base = settings.qa_audio_dir().resolve()
    path = (base / relative).resolve()
    return path if path.is_relative_to(base) else None


def played(session: Session, actor: Actor, call_id: int) -> None:
    audit.record(session, "qa_audio_played", actor, object_type="call", object_id=call_id)
