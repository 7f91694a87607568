"""Every message of a ticket's conversation, whoever writes it: a channel's adapter, the desk, the API.

Each operation writes the message, its audit row and publishes its event
in the caller's transaction, like the ticket service does for tickets.
A channel's message is stored once per ``(channel, channel_key)``: the
insert is ``ON CONFLICT DO NOTHING`` on both engines, so two processes
given the same message at once still make one row, and only the one that
made it audits and announces it.  Internal notes go to ``ticket_notes``
through the ticket service: one home for notes, whoever writes them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from .. import db
from ..access import audit, visibility
from ..access.audit import Actor
from ..i18n import N_, Refusal
from ..models import (
    Attachment,
    Channel,
    DeliveryState,
    Message,
    MessageDirection,
    Ticket,
    TicketNote,
    User,
    Visibility,
    utcnow,
)
from ..models.base import insert_defaults
from ..models.conversations import CHANNEL_KEY_LENGTH
from ..tickets.service import TicketService
from . import timeline
from .attachments import AttachmentStore, IncomingFile
from .notifier import ConversationNotifier

# What a message may hold; a channel's longer text is cut here rather than lost (a reply is refused).
MAX_BODY = 200_000
MESSAGES = cast(Table, Message.__table__)
# session.info key: the replies a ``queued_together`` block has queued, to be announced once they have ids.
_TOGETHER = "callcenter_replies_together"
# A reply goes out on a channel that carries text back to the customer.
REPLY_CHANNELS = (Channel.EMAIL, Channel.WEB, Channel.WECHAT, Channel.SMS)


class ConversationError(Refusal):
    """A message the service refuses (said in the reader's language by the web)."""


@dataclass(frozen=True)
class Recorded:
    """What ``record_inbound`` did: the one stored message, whether this call stored it, files not kept."""

    message: Message
    new: bool
    refused: list[Attachment] = field(default_factory=list)


def _key(channel_key: str) -> str:
    key = (channel_key or "").strip()
    if not key:
        raise ConversationError(N_("A message from a channel needs the channel's own id."), field="channel_key",
                                code="required")
    if len(key) > CHANNEL_KEY_LENGTH:
        raise ConversationError(N_("A channel id is limited to %(n)s characters."), field="channel_key",
                                code="too_long", n=CHANNEL_KEY_LENGTH)
    return key


def _text(value: str | None, limit: int) -> str:
    """Channel text as PostgreSQL can store it (no NUL), cut to ``limit``."""
    return (value or "").replace("\x00", "")[:limit]


class Conversations:
    def __init__(self, notifier: ConversationNotifier, tickets: TicketService, store: AttachmentStore) -> None:
        self.notifier, self.tickets, self.store = notifier, tickets, store

    def find(self, session: Session, channel: Channel, channel_key: str) -> Message | None:
        """The message a channel already delivered under this id, if any."""
        return session.scalar(select(Message).where(Message.channel == channel,
                                                    Message.channel_key == channel_key.strip()))

    def _insert(self, session: Session, **values: Any) -> tuple[Message, bool]:
        """Insert once per (channel, channel_key): the stored message, and whether this call stored it."""
        row = {**insert_defaults(MESSAGES), **values}
        if values.get("channel_key") is None:  # nothing to collide with; and a plain INSERT is compiled once
            stmt = insert(Message).values(**row)   # (the dialects' ON CONFLICT inserts are never cached)
        else:
            stmt = db.insert(session, Message).values(**row).on_conflict_do_nothing(
                index_elements=["channel", "channel_key"])
        message = session.scalar(stmt.returning(Message))  # the row as stored, in one round trip
        if message is None:
            found = self.find(session, values["channel"], values["channel_key"])
            assert found is not None  # the conflict was with a committed row: it is there to read
            return found, False
        return message, True

    def record_inbound(self, session: Session, ticket: Ticket, *, channel: Channel, channel_key: str, body: str,
                       subject: str = "", sender: str | None = None, recipient: str | None = None,
                       received_at: dt.datetime | None = None, visibility: Visibility = Visibility.PUBLIC,
                       attachments: Sequence[IncomingFile] = (), actor: Actor | None = None,
                       customer_id: int | None = None, meta: dict[str, Any] | None = None) -> Recorded:
        """A message a channel delivered to ``ticket``; a re-delivered one is the stored one, ``new`` False.

        When ``new`` is False nothing was written: a caller that made something for this message
        (a new ticket) may roll it back.  A file over the size limit is not kept, but noted on the
        message (``refused``): the message and its other files are kept.
        """
        actor = actor or Actor.system(f"channel:{channel.value}")
        message, new = self._insert(
            session, ticket_id=ticket.id, customer_id=customer_id or ticket.customer_id, channel=channel,
            direction=MessageDirection.INBOUND, visibility=visibility, channel_key=_key(channel_key),
            meta=meta or {},
            sender=_text(sender, 320) or None, recipient=_text(recipient, 320) or None,
            subject=_text(subject, 300), body=_text(body, MAX_BODY), received_at=received_at or utcnow())
        if not new:
            return Recorded(message, False)
        kept = [self.store.keep(session, message, f) for f in attachments]
        refused = [a for a in kept if a.refused is not None]
        audit.record(session, "message_received", actor, object_type="ticket", object_id=ticket.number,
                     message_id=message.id, channel=channel.value, attachments=len(kept),
                     refused_attachments=len(refused))
        self.notifier.received(session, ticket, message, actor)
        return Recorded(message, True, refused)

    def queue_outbound(self, session: Session, ticket: Ticket, actor: Actor, *, channel: Channel, body: str,
                       subject: str = "", recipient: str | None = None, attachments: Sequence[IncomingFile] = (),
                       channel_key: str | None = None) -> Message:
        """A public reply to the customer, queued for its channel's sender (sending is the channel's part).

        Nothing is written when it is refused (no text, a file over the limit).  ``channel_key``, when
        the caller mints one (an e-mail's Message-ID), makes queueing the same reply twice one message.
        """
        text = (body or "").strip()
        if not text:
            raise ConversationError(N_("A reply needs some text."), field="body", code="required")
        if len(text) > MAX_BODY:
            raise ConversationError(N_("A reply is limited to %(n)s characters."), field="body", code="too_long",
                                    n=f"{MAX_BODY:,}")
        if channel not in REPLY_CHANNELS:
            raise ConversationError(N_("A reply goes out by e-mail, web, WeChat or SMS."), field="channel",
                                    code="not_a_reply_channel")
        self.store.refuse_too_large(list(attachments))
        values = {"ticket_id": ticket.id, "customer_id": ticket.customer_id, "channel": channel,
                  "direction": MessageDirection.OUTBOUND, "visibility": Visibility.PUBLIC,
                  "channel_key": None if channel_key is None else _key(channel_key),
                  "recipient": _text(recipient, 320) or None, "subject": _text(subject, 300), "body": text,
                  "author_id": actor.user_id, "delivery_state": DeliveryState.QUEUED}
        together = session.info.get(_TOGETHER)
        if together is not None and channel_key is None and not attachments:
            message = Message(**{**insert_defaults(MESSAGES), **values})
            session.add(message)  # inserted with the block's others, then announced (queued_together)
            together.append((ticket, message, actor))
            self._responded(ticket, actor)
            return message
        message, new = self._insert(session, **values)
        if not new:
            return message
        self._responded(ticket, actor)
        for f in attachments:
            self.store.keep(session, message, f)
        self._announce_queued(session, ticket, message, actor, len(attachments))
        return message

    @contextmanager
    def queued_together(self, session: Session) -> Iterator[None]:
        """Replies queued inside the block (without a channel id or files: nothing to collide with) are
        inserted together at its end, a statement per many rows rather than a round trip each, then audited
        and announced as one by one.  A bulk reply's batch; an exception leaves them to the caller's
        rollback."""
        if _TOGETHER in session.info:
            yield
            return
        together: list[tuple[Ticket, Message, Actor]] = []
        session.info[_TOGETHER] = together
        try:
            yield
        finally:
            del session.info[_TOGETHER]
        session.flush()
        for ticket, message, actor in together:
            self._announce_queued(session, ticket, message, actor, 0)

    @staticmethod
    def _responded(ticket: Ticket, actor: Actor) -> None:
        if ticket.first_responded_at is None and actor.user_id is not None:
            ticket.first_responded_at = utcnow()

    def _announce_queued(self, session: Session, ticket: Ticket, message: Message, actor: Actor,
                         attachments: int) -> None:
        audit.record(session, "message_queued", actor, object_type="ticket", object_id=ticket.number,
                     message_id=message.id, channel=message.channel.value, attachments=attachments)
        self.notifier.queued(session, ticket, message, actor)

    def add_internal_note(self, session: Session, ticket: Ticket, body: str, actor: Actor) -> TicketNote:
        """A note among colleagues: never a message, never sent (its history, audit row and event are the
        ticket service's)."""
        return self.tickets.add_note(session, ticket, body, actor, internal=True)

    def timeline(self, session: Session, ticket: Ticket, viewer: User) -> list[timeline.Entry]:
        """The ticket's calls, messages, notes and changes in time order, for someone who may see it."""
        if not visibility.can_see_ticket(session, viewer, ticket.id):
            raise ConversationError(N_("No such ticket."), code="not_found")
        return timeline.build(session, ticket, viewer)
