"""The ``knowledge`` service: new tickets and messages looked at, overdue auto-replies expired.

It listens on the bus for ``TicketCreated`` (the ticket's top suggestions
are logged: the "knowledge gaps" report reads them) and ``MessageReceived``
(auto-reply's look, or the customer's answer), and works on its own
thread, never the bus's.  Every minute, and on start, it expires the
auto-replies whose answer is overdue and sweeps up what no event brought
(on SQLite the bus stays inside one process; a restart drops its queue).
Each piece of work locks its ticket's row first, so several ``knowledge``
processes on PostgreSQL, and a duplicate event, do it once.
"""
from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ..bus import Bus, Unsubscribe
from ..bus import Message as BusMessage
from ..db import transaction
from ..events import MessageReceived, TicketCreated
from ..models import (
    AutoReply,
    AutoReplyDecision,
    AutoReplyState,
    Message,
    MessageDirection,
    Suggestion,
    Ticket,
    Visibility,
    utcnow,
)
from ..runner import ThreadService
from . import wording
from .answers import AutoReplyAnswers
from .autoreply import SUPPORTED, AutoReplies
from .suggest import Suggester, question_of

log = logging.getLogger(__name__)
TICKET_CONTEXT = "ticket"
# How far back the sweep looks for messages and tickets no event brought (answers to a pending auto-reply: always).
SWEEP = dt.timedelta(hours=1)
BATCH = 200


class KnowledgeWatcher(ThreadService):
    name = "knowledge"

    def __init__(self, session_factory: sessionmaker[Session], bus: Bus, auto_replies: AutoReplies,
                 answers: AutoReplyAnswers, suggester: Suggester, *, check_seconds: float = 60.0,
                 read_factory: sessionmaker[Session] | None = None) -> None:
        super().__init__()
        self.session_factory, self.bus = session_factory, bus
        # Reads that never hold SQLite's write lock (the ranking, the sweep's look-ups).
        self.read_factory = read_factory or session_factory
        self.auto_replies, self.answers, self.suggester = auto_replies, answers, suggester
        self.check_seconds = check_seconds
        self.waiting: queue.Queue[tuple[str, int]] = queue.Queue()
        self._unsubscribe: list[Unsubscribe] = []
        self._looked: dict[int, float] = {}  # tickets the sweep already looked at (it logs nothing without a match)

    # -- the bus ------------------------------------------------------------------------------------------
    def on_message(self, message: BusMessage[MessageReceived]) -> None:
        if message.event.direction == MessageDirection.INBOUND.value:
            self.waiting.put(("message", message.event.message_id))

    def on_ticket(self, message: BusMessage[TicketCreated]) -> None:
        self.waiting.put(("ticket", message.event.ticket_id))

    def start(self) -> None:
        self._unsubscribe = [self.bus.subscribe(MessageReceived, self.on_message),
                             self.bus.subscribe(TicketCreated, self.on_ticket)]
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        for undo in self._unsubscribe:
            undo()
        self._unsubscribe = []
        super().stop(timeout)

    def run(self, stop: threading.Event) -> None:
        next_check = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_check:
                self.check()
                next_check = time.monotonic() + self.check_seconds
            try:
                kind, ident = self.waiting.get(timeout=0.5)
            except queue.Empty:
                continue
            self.process(kind, ident)

    def process(self, kind: str, ident: int) -> None:
        """One piece of work; a failure is logged (the sweep tries a message again within the hour)."""
        try:
            if kind == "message":
                self.message(ident)
            else:
                self.ticket(ident)
        except Exception:  # the database went away, a bug in one message: the others go on
            log.exception("knowledge: %s %s failed", kind, ident)

    # -- the work -----------------------------------------------------------------------------------------
    def message(self, message_id: int) -> str | None:
        """Auto-reply's look at one inbound message (or its answer to a pending one); the decision's outcome."""
        with transaction(self.session_factory) as session:
            message = session.get(Message, message_id)
            if message is None or message.direction is not MessageDirection.INBOUND \
                    or message.visibility is not Visibility.PUBLIC:
                return None
            ticket = session.get(Ticket, message.ticket_id, with_for_update=True, populate_existing=True)
            if ticket is None:
                return None
            decision = self.auto_replies.handle(session, ticket, message)
            return decision.outcome if decision is not None else None

    def ticket(self, ticket_id: int) -> int:
        """Log a new ticket's top suggestions once (what the knowledge-gaps report reads); how many.

        The ranking (and, the first time, loading the index and the segmenter) runs in a plain read: on
        SQLite a write transaction holds the one write lock, and the AMI bridge's call records wait on it.
        """
        with self.read_factory() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None or self._logged(session, ticket_id):
                return 0
            said = question_of(session, ticket)
            hits = self.suggester.suggest(session, said.text, category=ticket.category, cut=said.cut,
                                          locale=wording.language_of(said.logged, ticket.language))
            category = ticket.category
        with transaction(self.session_factory) as session:
            ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
            if ticket is None or self._logged(session, ticket_id):
                return 0
            for hit in hits:
                self.suggester.record(session, hit, TICKET_CONTEXT, said.logged, category=category,
                                      ticket_id=ticket_id)
            return len(hits)

    @staticmethod
    def _logged(session: Session, ticket_id: int) -> bool:
        return bool(session.scalar(select(exists().where(Suggestion.ticket_id == ticket_id,
                                                         Suggestion.context == TICKET_CONTEXT))))

    def check(self) -> None:
        """Expire what is overdue, then sweep up what no event brought."""
        try:
            expired = self.expire()
            if expired:
                log.info("knowledge: %d auto-repl%s expired", expired, "y" if expired == 1 else "ies")
            self.sweep()
        except Exception:
            log.exception("knowledge: the periodic check failed")

    def expire(self) -> int:
        done = 0
        while True:
            with transaction(self.session_factory) as session:
                if self.answers.expire_one(session) is None:
                    return done
            done += 1

    def sweep(self) -> tuple[int, int]:
        """Messages and tickets of the last hour nobody looked at, and answers to pending auto-replies."""
        since = utcnow() - SWEEP
        pending = select(AutoReply.id).where(AutoReply.ticket_id == Message.ticket_id,
                                             AutoReply.state == AutoReplyState.PENDING,
                                             AutoReply.message_id < Message.id)
        with self.read_factory() as session:
            messages = session.scalars(select(Message.id).where(
                Message.direction == MessageDirection.INBOUND, Message.visibility == Visibility.PUBLIC,
                Message.channel.in_(SUPPORTED), or_(Message.created_at >= since, exists(pending)),
                ~exists().where(AutoReplyDecision.message_id == Message.id)).order_by(Message.id).limit(BATCH)).all()
            tickets = session.scalars(select(Ticket.id).where(
                Ticket.created_at >= since, ~exists().where(Suggestion.ticket_id == Ticket.id,
                                                            Suggestion.context == TICKET_CONTEXT))
                .order_by(Ticket.id).limit(BATCH)).all()
        for message_id in messages:
            self.process("message", message_id)
        now = time.monotonic()
        self._looked = {t: at for t, at in self._looked.items() if now - at < SWEEP.total_seconds()}
        fresh = [t for t in tickets if t not in self._looked]
        for ticket_id in fresh:
            self.process("ticket", ticket_id)
            self._looked[ticket_id] = now
        return len(messages), len(fresh)
