"""What every channel hands the intake, and what every channel's sender must do.

A channel module (``email/``, ``wechat.py``, ``sms.py``, ``webform.py``) knows
its side's protocol and nothing about tickets: it turns what arrives into an
``Inbound`` and gives it to ``ChannelIntake.receive``.  Replies go the other
way through an ``Adapter``: ``Delivery`` hands it one queued public message at
a time.  A new channel is one module with both halves.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..conversations.attachments import IncomingFile
from ..models import Channel, Customer, Message, Ticket


@dataclass(frozen=True)
class Sender:
    """Who wrote, as the channel names them: an e-mail address, a phone number, a WeChat OpenID."""

    # "email", "phone" or "wechat": which identifier ``value`` is.
    kind: str
    value: str
    name: str = ""
    # The channel vouches for it (WeChat signs the OpenID; a web form's address is only typed).
    verified: bool = False


@dataclass(frozen=True)
class Inbound:
    """One message from a channel, before it belongs to a ticket.

    ``channel_key`` is the channel's own id (Message-ID, MsgId, SMS id): the same key twice is
    one message.  ``thread_keys`` are channel keys of earlier messages this one answers (an
    e-mail's In-Reply-To and References, newest first); ``ticket_number`` is a number the
    sender quoted (an e-mail's subject).  ``no_reply`` says why we must never answer it
    automatically ("auto_reply", "loop", "bulk"): it is still stored.
    """

    channel: Channel
    channel_key: str
    sender: Sender
    body: str
    subject: str = ""
    recipient: str | None = None
    received_at: dt.datetime | None = None
    attachments: Sequence[IncomingFile] = ()
    thread_keys: Sequence[str] = ()
    ticket_number: str | None = None
    category: str | None = None
    language: str | None = None
    no_reply: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """A send that failed; ``permanent`` when trying again cannot help (a refused address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One public reply as a sender needs it: the message, its ticket and customer, and where it goes."""

    message: Message
    ticket: Ticket
    customer: Customer | None
    # The address on this channel: an e-mail address, an E.164 number, an OpenID.
    to: str
    # Channel keys of the conversation so far, oldest first (an e-mail's References).
    thread: Sequence[str] = ()


class Adapter(Protocol):
    """A channel's sender: ``send`` returns the id its side gave the message (or None)."""

    channel: Channel

    def send(self, outgoing: Outgoing) -> str | None: ...
