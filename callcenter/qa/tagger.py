"""The tagger service: a call's transcript is ready, so the keyword rules tag it and its tickets."""
from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy.orm import Session, sessionmaker

from ..bus import Bus, Message, Unsubscribe
from ..db import transaction
from ..events import TranscriptReady
from ..runner import ThreadService
from ..tickets.service import TicketService
from .rules import apply_to_call

log = logging.getLogger(__name__)


class KeywordTagger(ThreadService):
    """Matching runs on the tagger's own thread, never the bus's: a long transcript
    against many rules must not hold up every other subscriber's events."""

    name = "tagger"

    def __init__(self, session_factory: sessionmaker[Session], bus: Bus, tickets: TicketService) -> None:
        super().__init__()
        self.session_factory = session_factory
        self.bus = bus
        self.tickets = tickets
        self.waiting: queue.Queue[int] = queue.Queue()
        self._unsubscribe: list[Unsubscribe] = []

    def on_transcript_ready(self, message: Message[TranscriptReady]) -> None:
        self.waiting.put(message.event.call_id)

    def tag(self, call_id: int) -> list[str]:
        try:
            with transaction(self.session_factory) as session:
                tags = apply_to_call(session, self.tickets, call_id)
        except Exception:
            log.exception("keyword rules failed on call %s", call_id)
            return []
        if tags:
            log.info("call %s tagged: %s", call_id, ", ".join(tags))
        return tags

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                call_id = self.waiting.get(timeout=0.5)
            except queue.Empty:
                continue
            self.tag(call_id)

    def start(self) -> None:
        super().start()
        self._unsubscribe = [self.bus.subscribe(TranscriptReady, self.on_transcript_ready)]

    def stop(self, timeout: float = 10.0) -> None:
        for undo in self._unsubscribe:
            undo()
        self._unsubscribe = []
        super().stop(timeout)
