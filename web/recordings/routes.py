"""Recordings, streamed only by id and only to those allowed to hear them.

The id picks the row and ``callcenter.calls.recordings`` resolves its file
inside the recordings directory.  Range requests are served (the player
seeks); each listen is audited once, at its start.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request, send_file
from flask.typing import ResponseReturnValue

from callcenter.access import roles, visibility
from callcenter.calls import recordings
from callcenter.models import Recording

from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db

bp = Blueprint("recordings", __name__, url_prefix="/recordings")


@bp.route("/<int:recording_id>")
@roles_required(roles.EVERYONE)
def stream(recording_id: int) -> ResponseReturnValue:
    db = get_db()
    recording = db.get(Recording, recording_id)
    if recording is None or recording.purged_at is not None:
        abort(404)
    if not visibility.can_hear(db, user(), recording):
        refuse("recording", recording_id, action="recording_denied")
    path = recordings.file_for(current_app.extensions["container"].settings, recording)
    if path is None:
        abort(410, "the recording file is no longer available")
    if starts_a_listen():
        recordings.played(db, actor(), recording)
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
