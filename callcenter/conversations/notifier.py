"""One method per conversation event; each leaves only when the message's transaction commits."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..access.audit import Actor
from ..bus import Notifier
from ..events import MessageFailed, MessageQueued, MessageReceived, MessageSent
from ..models import Message, Ticket


def _about(ticket: Ticket, message: Message, actor: Actor) -> dict[str, Any]:
    return {"ticket_id": ticket.id, "number": ticket.number, "actor": actor.name, "message_id": message.id,
            "channel": message.channel.value, "direction": message.direction.value,
            "visibility": message.visibility.value}


class ConversationNotifier(Notifier):
    def received(self, session: Session, ticket: Ticket, message: Message, actor: Actor) -> None:
        self._publish(MessageReceived(**_about(ticket, message, actor)), session)

    def queued(self, session: Session, ticket: Ticket, message: Message, actor: Actor) -> None:
        self._publish(MessageQueued(**_about(ticket, message, actor)), session)

    def sent(self, session: Session, ticket: Ticket, message: Message, actor: Actor) -> None:
        self._publish(MessageSent(**_about(ticket, message, actor)), session)

    def failed(self, session: Session, ticket: Ticket, message: Message, actor: Actor) -> None:
        self._publish(MessageFailed(**_about(ticket, message, actor), error=message.error or ""), session)
