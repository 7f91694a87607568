"""Recordings, streamed only by id and only to those allowed to hear them.

A path never comes from the request: the id picks the row, the row's path is
resolved under the recordings directory and must stay inside it.  Range
requests are served (the player seeks); each listen is audited once.
"""
from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, request, send_file
from flask_login import current_user

from callcenter import audit, visibility
from callcenter.models import Recording

from ..auth.access import roles_required
from ..db import get_db
from . import bp


def recording_file(recording: Recording) -> Path | None:
    """The file on disk for a recording row, or None if it is gone or outside the store."""
    root = current_app.extensions["container"].settings.recordings_dir().resolve()
    path = (root / recording.path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


@bp.route("/<int:recording_id>")
@roles_required(*visibility.HEARING_ROLES)
def stream(recording_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    recording = db.get(Recording, recording_id)
    if recording is None or recording.purged_at is not None:
        abort(404)
    if not visibility.can_hear(db, current_user, recording):
        audit.record(db, "recording_denied", actor=current_user, object_type="recording",
                     object_id=recording_id, ip=request.remote_addr, outcome="denied")
        db.commit()
        abort(403)
    path = recording_file(recording)
    if path is None:
        abort(410, "the recording file is no longer available")
    if starts_a_listen():
        audit.record(db, "recording_played", actor=current_user, object_type="recording",
                     object_id=recording_id, ip=request.remote_addr, call_id=recording.call_id)
        db.commit()
    return audio_response(path, f"recording-{recording_id}.wav")


def starts_a_listen() -> bool:
    """A request from the start of the file, not a seek inside a listen: audit this one."""
    range_header = request.headers.get("Range", "")
    return not range_header or range_header.replace(" ", "").startswith("bytes=0-")


def audio_response(path: Path, name: str) -> Response:
    """The WAV with HTTP range support (the player seeks), never cached."""
    response = send_file(path, mimetype="audio/wav", conditional=True, max_age=0, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
