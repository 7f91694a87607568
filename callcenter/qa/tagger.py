"""The tagger service: a call's transcript is ready, so the keyword rules tag it and its tickets."""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from ..bus import Bus, Message, Unsubscribe
from ..db import transaction
from ..events import TranscriptReady
from ..runner import Service
from ..tickets.service import TicketService
from .rules import apply_to_call

log = logging.getLogger(__name__)


class KeywordTagger(Service):
    """Its work runs on the bus's dispatch thread: one transcript at a time, in order."""

    name = "tagger"

    def __init__(self, session_factory: sessionmaker[Session], bus: Bus, tickets: TicketService) -> None:
        self.session_factory = session_factory
        self.bus = bus
        self.tickets = tickets
        self._unsubscribe: list[Unsubscribe] = []

    def on_transcript_ready(self, message: Message[TranscriptReady]) -> None:
        call_id = message.event.call_id
        try:
            with transaction(self.session_factory) as session:
                tags = apply_to_call(session, self.tickets, call_id)
        except Exception:
            log.exception("keyword rules failed on call %s", call_id)
            return
        if tags:
            log.info("call %s tagged: %s", call_id, ", ".join(tags))

    def start(self) -> None:
        self._unsubscribe = [self.bus.subscribe(TranscriptReady, self.on_transcript_ready)]

    def stop(self, timeout: float = 10.0) -> None:
        for undo in self._unsubscribe:
            undo()
        self._unsubscribe = []

    def alive(self) -> bool:
        return bool(self._unsubscribe)
