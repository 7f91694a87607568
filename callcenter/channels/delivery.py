"""Sending replies: one loop hands each queued public message to its channel's adapter.

A message is claimed in its own transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several ``channels`` processes never send the same reply;
SQLite runs one), sent, and marked sent or failed in that transaction.  A
failed attempt is queued again after the next of ``retry_delays``; after
the last one, or at once when the adapter says trying again cannot help
(a refused address), it fails for a person to see.  Only ``outbox`` queries
are read, so an internal note can never reach this loop.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from .. import db
from ..access import audit
from ..access.audit import Actor
from ..bus import Bus
from ..conversations import outbox
from ..conversations.notifier import ConversationNotifier
from ..events import MessageQueued
from ..models import Channel, Customer, DeliveryState, Message, MessageDirection, Ticket, Visibility, utcnow
from ..runner import ThreadService
from .base import Adapter, DeliveryError, Outgoing

log = logging.getLogger(__name__)


def thread_of(session: Session, message: Message) -> list[str]:
    """Channel keys of the ticket's earlier messages on the same channel, oldest first."""
    return [k for k in session.scalars(
        select(Message.channel_key).where(Message.ticket_id == message.ticket_id, Message.channel == message.channel,
                                          Message.id != message.id, Message.channel_key.is_not(None),
                                          Message.visibility == Visibility.PUBLIC)
        .order_by(Message.created_at, Message.id)) if k]


class Delivery(ThreadService):
    """The ``channels`` service's sender: drains the outbox through the configured adapters."""

    name = "delivery"

    def __init__(self, session_factory: sessionmaker[Session], adapters: Mapping[Channel, Adapter],
                 notifier: ConversationNotifier, *, poll_seconds: float = 2.0, batch: int = 50,
                 retry_delays: Sequence[int] = (30, 120, 600, 1800), bus: Bus | None = None) -> None:
        super().__init__()
        self.session_factory, self.adapters, self.notifier = session_factory, dict(adapters), notifier
        self.poll_seconds, self.batch, self.retry_delays = poll_seconds, batch, list(retry_delays)
        self.actor = Actor.system("delivery")
        self._wake = threading.Event()
        if bus is not None:
            bus.subscribe(MessageQueued, lambda _event: self._wake.set())

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                sent = self.run_once()
            except Exception:  # the database went away, an adapter bug: log, wait, go on
                log.exception("delivery: a round failed")
                sent = 0
            if sent == 0:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def stop(self, timeout: float = 10.0) -> None:
        self._wake.set()
        super().stop(timeout)

    def run_once(self) -> int:
        """Send up to ``batch`` due replies; how many were attempted."""
        done = 0
        while done < self.batch and self._send_one():
            done += 1
        return done

    def _claim(self, session: Session) -> Message | None:
        now = utcnow()
        query = (select(Message)
                 .where(Message.direction == MessageDirection.OUTBOUND, Message.visibility == Visibility.PUBLIC,
                        Message.delivery_state == DeliveryState.QUEUED,
                        Message.channel.in_(list(self.adapters)),
                        or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
                 .order_by(Message.created_at, Message.id).limit(1))
        if db.is_postgres(session):
            query = query.with_for_update(skip_locked=True)
        return session.scalar(query)

    def _send_one(self) -> bool:
        with db.transaction(self.session_factory) as session:
            message = self._claim(session)
            if message is None:
                return False
            ticket = session.get(Ticket, message.ticket_id)
            assert ticket is not None
            customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            adapter = self.adapters[message.channel]
            to = message.recipient or ""
            try:
                if not to:
                    raise DeliveryError("no address to send to", permanent=True)
                key = adapter.send(Outgoing(message, ticket, customer, to, thread_of(session, message)))
            except DeliveryError as exc:
                self._failed(session, ticket, message, str(exc), permanent=exc.permanent)
            except Exception as exc:  # an adapter's unexpected error is one failed attempt, not a dead loop
                log.exception("delivery: %s adapter failed on message %s", message.channel.value, message.id)
                self._failed(session, ticket, message, f"{type(exc).__name__}: {exc}", permanent=False)
            else:
                outbox.sent(message, key)
                message.next_attempt_at = None
                audit.record(session, "message_sent", self.actor, object_type="ticket", object_id=ticket.number,
                             message_id=message.id, channel=message.channel.value)
                self.notifier.sent(session, ticket, message, self.actor)
        return True

    def _failed(self, session: Session, ticket: Ticket, message: Message, error: str, *, permanent: bool) -> None:
        give_up = permanent or message.attempts >= len(self.retry_delays)
        delay = 0 if give_up else self.retry_delays[message.attempts]
        outbox.attempt_failed(message, error, give_up=give_up)
        message.next_attempt_at = None if give_up else utcnow() + dt.timedelta(seconds=delay)
        log.warning("delivery: message %s on %s failed (attempt %s%s): %s", message.id, message.channel.value,
                    message.attempts, ", giving up" if give_up else f", next in {delay}s", error)
        if give_up:
            audit.record(session, "message_failed", self.actor, object_type="ticket", object_id=ticket.number,
                         message_id=message.id, channel=message.channel.value, error=error[:500])
            self.notifier.failed(session, ticket, message, self.actor)
