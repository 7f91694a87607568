"""An agent's reply from the ticket: the channel, the customer's address on it, the text, a macro's changes.

The address is always worked out here from the customer's identities (an
e-mail address that has not bounced, a WeChat OpenID, an E.164 phone), never
taken from the form or the API caller, so a reply can only go to the
ticket's own customer.  The default channel is the one the customer last
wrote on; a ticket that only ever had calls is answered by SMS when the
customer has a phone, else by e-mail.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..i18n import N_, coded
from ..models import Channel, Customer, IdentityKind, Message, MessageDirection, Ticket, TicketNote
from .service import REPLY_CHANNELS, ConversationError, Conversations
from .templates import Templates

# Channels whose replies carry a subject line; an SMS or a WeChat message has none.
SUBJECT_CHANNELS = (Channel.EMAIL, Channel.WEB)


@dataclass(frozen=True)
class Sent:
    """What ``send`` did: the queued message or the internal note, and the macro's changes."""

    message: Message | None
    note: TicketNote | None
    changed: list[str]


def recipients(customer: Customer | None) -> dict[Channel, str]:
    """Where a reply on each channel would go; a channel the customer cannot be reached on is absent."""
    if customer is None or customer.erased_at is not None:
        return {}
    found: dict[Channel, str] = {}
    emails = [i for i in customer.identities if i.kind is IdentityKind.EMAIL and i.bounced_at is None]
    if emails:
        found[Channel.EMAIL] = found[Channel.WEB] = emails[0].value
    openids = [i for i in customer.identities if i.kind is IdentityKind.WECHAT]
    if openids:
        found[Channel.WECHAT] = openids[0].value
    if customer.phones:
        found[Channel.SMS] = sorted(customer.phones, key=lambda p: p.id)[0].number
    return found


def default_channel(session: Session, ticket: Ticket, customer: Customer | None,
                    known: dict[int, Channel] | None = None) -> Channel:
    """The channel the customer last wrote on; for a ticket of calls only, SMS if they have a phone, else e-mail.
    ``known``: what ``last_channels`` read for a batch of tickets, instead of one query each."""
    if known is not None:
        last = known.get(ticket.id)
    else:
        last = session.scalar(select(Message.channel).where(
            Message.ticket_id == ticket.id, Message.direction == MessageDirection.INBOUND,
            Message.channel.in_(REPLY_CHANNELS)).order_by(Message.created_at.desc(), Message.id.desc()).limit(1))
    if last is not None:
        return last
    return Channel.SMS if customer is not None and customer.phones else Channel.EMAIL


def last_channels(session: Session, ticket_ids: list[int]) -> dict[int, Channel]:
    """For each ticket, the channel its customer last wrote on (those who never wrote are absent)."""
    found: dict[int, Channel] = {}
    for ticket_id, channel in session.execute(select(Message.ticket_id, Message.channel).where(
            Message.ticket_id.in_(ticket_ids), Message.direction == MessageDirection.INBOUND,
            Message.channel.in_(REPLY_CHANNELS)).order_by(Message.created_at, Message.id)):
        found[ticket_id] = channel
    return found


class Replies:
    def __init__(self, conversations: Conversations, templates: Templates) -> None:
        self.conversations, self.templates = conversations, templates

    def send(self, session: Session, ticket: Ticket, actor: Actor, *, channel: Channel | str, body: str,
             subject: str = "", template_id: int | None = None, internal: bool = False) -> Sent:
        """Queue a public reply (or write an internal note), then apply the chosen macro's changes.

        All in the caller's transaction: a refusal (no address, no text) leaves nothing written.
        """
        template = self.templates.usable(session, template_id) if template_id is not None else None
        message, note = None, None
        if internal:
            note = self.conversations.add_internal_note(session, ticket, body, actor)
        else:
            reply_channel = next((c for c in REPLY_CHANNELS if c.value == channel), None)
            if reply_channel is None:
                raise ConversationError(N_("A reply goes out by e-mail, web, WeChat or SMS."), field="channel",
                                        code="not_a_reply_channel")
            customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            to = recipients(customer).get(reply_channel)
            if to is None:
                raise ConversationError(N_("The customer has no address to reply to on %(channel)s."),
                                        field="channel", code="no_recipient", channel=coded("channel", reply_channel))
            message = self.conversations.queue_outbound(
                session, ticket, actor, channel=reply_channel, body=body, recipient=to,
                subject=subject if reply_channel in SUBJECT_CHANNELS else "")
        changed = self.templates.apply(session, template, ticket, actor) if template is not None else []
        return Sent(message, note, changed)
