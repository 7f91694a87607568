"""One way in for every channel: who wrote, which ticket it belongs to, and the message stored once.

The rules are the channel-independent half of threading:

1. an answer to one of our messages (``thread_keys``: an e-mail's In-Reply-To
   and References) joins that message's ticket;
2. a ticket number the sender quoted joins that ticket only when the sender
   is its customer; a stranger quoting it gets a new ticket, flagged
   ``unverified_sender`` for a person to look at;
3. a chat channel (WeChat, SMS) continues the customer's open ticket on it;
4. anything else is a new ticket.

A ticket waiting on the customer (pending, its SLA paused) is open again
when they answer, so its clock runs on.  A resolved or closed ticket is
reopened by the customer's answer within ``reopen_days``; after that the
answer starts a new ticket.  Everything
runs in the caller's transaction, inside a savepoint: when another process
stored the same message first, this one's new customer and ticket are
rolled back and the stored message is returned.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..conversations.service import Conversations
from ..customers.service import CustomerService
from ..i18n import N_, say_later
from ..models import OPEN_STATUSES, Channel, Customer, Message, Ticket, TicketStatus, utcnow
from ..problems.merging import current
from ..tickets.service import TicketService
from .base import Inbound

CHAT_CHANNELS = (Channel.WECHAT, Channel.SMS)
# A web-form ticket is answered by e-mail (under the WEB channel): the customer's e-mailed answer threads to it.
THREADS_WITH = {Channel.EMAIL: (Channel.EMAIL, Channel.WEB)}
UNVERIFIED_SENDER = "unverified_sender"
BOUNCE = "bounce"
SUBJECT_LIMIT = 200


@dataclass(frozen=True)
class Received:
    """What ``receive`` did with one inbound message."""

    ticket: Ticket
    message: Message
    # False: this channel had already delivered it; nothing was written this time.
    new: bool
    ticket_created: bool = False
    customer_created: bool = False
    reopened: bool = False


def _subject(inbound: Inbound) -> str:
    text = " ".join((inbound.subject or inbound.body or "").split())
    return text[:SUBJECT_LIMIT] or inbound.channel.value


class ChannelIntake:
    def __init__(self, conversations: Conversations, tickets: TicketService, customers: CustomerService,
                 reopen_days: int = 14) -> None:
        self.conversations, self.tickets, self.customers = conversations, tickets, customers
        self.reopen_days = reopen_days

    def receive(self, session: Session, inbound: Inbound) -> Received:
        """Store one inbound message on its ticket (a new one if need be); a re-delivery is the stored one."""
        stored = self.conversations.find(session, inbound.channel, inbound.channel_key)
        if stored is not None:
            return self._stored(session, stored)
        actor = Actor.system(f"channel:{inbound.channel.value}")
        savepoint = session.begin_nested()
        # A mail system's report is nobody's word: its sender (MAILER-DAEMON) is not made a customer.
        identified = None if inbound.no_reply == BOUNCE else self.customers.identify(
            session, actor, kind=inbound.sender.kind, value=inbound.sender.value, name=inbound.sender.name,
            verified=inbound.sender.verified, language=inbound.language or "en")
        customer, customer_created = identified if identified is not None else (None, False)
        ticket, flagged = self._thread(session, inbound, customer)
        reopened = False
        if ticket is not None and inbound.no_reply is None:
            reopened = self._reopen(session, ticket, actor)
            self._resume(session, ticket, actor)
            if ticket.status not in OPEN_STATUSES:
                ticket = None  # too old to reopen: the answer starts a new ticket
        # An automatic answer (out of office, a bounce, a list) joins its thread as it is, never reopening
        # it; one that threads nowhere is a new ticket flagged with why, for a person to glance at.
        flagged = flagged or inbound.no_reply
        created = ticket is None
        if ticket is None:
            ticket = self.tickets.create(
                session, actor, reason=say_later(N_("written by the customer (%(channel)s)"),
                                                 channel=inbound.channel.value),
                subject=_subject(inbound), description=inbound.body[:20_000], source=inbound.channel.value,
                category=inbound.category or "general", customer_id=customer.id if customer else None,
                language=inbound.language or (customer.language if customer else None), flagged=flagged)
        recorded = self.conversations.record_inbound(
            session, ticket, channel=inbound.channel, channel_key=inbound.channel_key, body=inbound.body,
            subject=inbound.subject, sender=inbound.sender.value, recipient=inbound.recipient,
            received_at=inbound.received_at, attachments=inbound.attachments, actor=actor,
            customer_id=customer.id if customer is not None else None,
            meta={**inbound.meta, **({"no_reply": inbound.no_reply} if inbound.no_reply else {})})
        if not recorded.new:  # another process stored it between our look and our insert
            savepoint.rollback()
            return self._stored(session, recorded.message)
        savepoint.commit()
        message = recorded.message
        return Received(ticket, message, True, created, customer_created, reopened)

    def _stored(self, session: Session, message: Message) -> Received:
        ticket = session.get(Ticket, message.ticket_id)
        assert ticket is not None  # a message's ticket is deleted with it (cascade)
        return Received(ticket, message, False)

    def _thread(self, session: Session, inbound: Inbound,
                customer: Customer | None) -> tuple[Ticket | None, str | None]:
        """The ticket this message continues, or None; and the flag for a new ticket."""
        for key in inbound.thread_keys:
            for channel in THREADS_WITH.get(inbound.channel, (inbound.channel,)):
                earlier = self.conversations.find(session, channel, key)
                if earlier is not None:
                    thread = session.get(Ticket, earlier.ticket_id)
                    return (current(session, thread) if thread is not None else None), None
        if inbound.ticket_number:
            quoted = session.scalar(select(Ticket).where(Ticket.number == inbound.ticket_number.strip().upper()))
            if quoted is not None:
                quoted = current(session, quoted)  # a merged ticket's replies go where it was merged
                if customer is not None and quoted.customer_id == customer.id:
                    return quoted, None
                return None, UNVERIFIED_SENDER
        if inbound.channel in CHAT_CHANNELS and customer is not None:
            open_ticket = session.scalar(
                select(Ticket).where(Ticket.customer_id == customer.id, Ticket.source == inbound.channel.value,
                                     Ticket.status.in_(OPEN_STATUSES))
                .order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(1))
            return open_ticket, None
        return None, None

    def _reopen(self, session: Session, ticket: Ticket, actor: Actor) -> bool:
        """A customer answered a resolved or closed ticket: reopen it if it ended recently enough."""
        if ticket.status in OPEN_STATUSES:
            return False
        ended = ticket.closed_at or ticket.resolved_at or ticket.updated_at
        if ended is None or utcnow() - ended > dt.timedelta(days=self.reopen_days):
            return False
        self.tickets.change(session, ticket, actor, reason=say_later(N_("the customer wrote again")),
                            status=TicketStatus.OPEN)
        return True

    def _resume(self, session: Session, ticket: Ticket, actor: Actor) -> None:
        """The customer answered a ticket waiting on them: ours again, and its SLA clock runs on."""
        if ticket.status is TicketStatus.PENDING:
            self.tickets.change(session, ticket, actor, reason=say_later(N_("the customer answered")),
                                status=TicketStatus.OPEN)
