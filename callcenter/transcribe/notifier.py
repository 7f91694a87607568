"""The event the transcriber publishes: a call's transcript is stored."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..bus import Notifier
from ..events import TranscriptReady
from ..models import Transcript


class TranscriptNotifier(Notifier):
    def transcript_ready(self, session: Session, transcript: Transcript) -> None:
        self._publish(TranscriptReady(call_id=transcript.call_id, transcript_id=transcript.id), session)
