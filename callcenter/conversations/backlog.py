"""Customers waiting for us on a written channel: the e-mail, web, WeChat and SMS queue of the wallboard.

A ticket waits on a channel when it is open (new, open or waiting on the
customer) and a public message the customer sent on that channel came
after a person's last public reply: its last public word is theirs.  An
automatic acknowledgement (no author) answers nobody, as for the SLA's
first response.  The wait starts at the first such message since our
reply (a customer writing three times is one customer waiting, since the
first time).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import OPEN_STATUSES, Message, MessageDirection, Ticket, Visibility
from .service import REPLY_CHANNELS


def waiting(session: Session) -> list[dict[str, Any]]:
    """Per reply channel, in a fixed order: tickets waiting for us and when the longest wait began."""
    replied = (select(Message.ticket_id, func.max(Message.created_at).label("at"))
               .where(Message.direction == MessageDirection.OUTBOUND, Message.visibility == Visibility.PUBLIC,
                      Message.author_id.is_not(None))
               .group_by(Message.ticket_id).subquery())
    per_ticket = (select(Message.channel, Message.ticket_id,
                         func.min(func.coalesce(Message.received_at, Message.created_at)).label("since"))
                  .join(Ticket, Ticket.id == Message.ticket_id)
                  .outerjoin(replied, replied.c.ticket_id == Message.ticket_id)
                  .where(Message.direction == MessageDirection.INBOUND, Message.visibility == Visibility.PUBLIC,
                         Message.channel.in_(REPLY_CHANNELS), Ticket.status.in_(OPEN_STATUSES),
                         or_(replied.c.at.is_(None), Message.created_at > replied.c.at))
                  .group_by(Message.channel, Message.ticket_id).subquery())
    found = {channel: (count, oldest) for channel, count, oldest in session.execute(
        select(per_ticket.c.channel, func.count(), func.min(per_ticket.c.since)).group_by(per_ticket.c.channel))}
    return [{"channel": c.value, "waiting": found.get(c, (0, None))[0],
             "oldest_at": at.timestamp() if (at := found.get(c, (0, None))[1]) is not None else None}
            for c in REPLY_CHANNELS]
