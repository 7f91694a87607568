"""Replies in channel tests: queue one on the only ticket, send the outbox through the real ``Delivery``
loop with the adapters the registry builds, and read rows back."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from callcenter.access.dialling import DiallingPolicy
from callcenter.channels.delivery import Delivery
from callcenter.channels.registry import adapters
from callcenter.conversations.notifier import ConversationNotifier
from callcenter.db import transaction
from callcenter.models import Channel, Message, Ticket
from callcenter.wiring import Container
from tests.support.services import TEST


def delivery(container: Container) -> Delivery:
    """The ``channels`` service's loop as the wiring builds it, with short retries."""
    settings = container.settings
    senders = adapters(settings.channels, policy=DiallingPolicy.from_settings(settings),
                       region=settings.phone.default_region, store=container.conversations.store)
    return Delivery(container.session_factory, senders, ConversationNotifier(container.bus), retry_delays=[30])


def queue_reply(container: Container, channel: Channel, text: str, to: str) -> int:
    """An agent's public reply on the test's one ticket; its message id."""
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket)).one()
        return container.conversations.queue_outbound(s, ticket, TEST, channel=channel, body=text,
                                                       recipient=to).id


def message(container: Container, message_id: int) -> Message:
    with container.session_factory() as s:
        found = s.get(Message, message_id)
        assert found is not None
        s.expunge(found)
        return found


def count(container: Container, model: Any) -> int:
    with container.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0
