"""Recordings by id only: the file a row names, kept inside the recordings directory; each listen audited.

A path never comes from a request: the id picks the row, the row's path
(written from AMI events, so untrusted too) is resolved under the
recordings directory and refused if it leads outside.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..config import Settings
from ..models import Recording


def file_for(settings: Settings, recording: Recording) -> Path | None:
    """The file on disk for a recording row, or None if it is gone or outside the store."""
    root = settings.recordings_dir().resolve()
    path = (root / recording.path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def played(session: Session, actor: Actor, recording: Recording) -> None:
    audit.record(session, "recording_played", actor, object_type="recording", object_id=recording.id,
                 call_id=recording.call_id)
