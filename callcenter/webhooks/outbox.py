"""The outbox: for each event an active endpoint wants, one delivery row, written in the event's own transaction.

The bus hands every event published with a session to ``record`` just before
that session commits (``Bus.record_with``), so the change and its deliveries
commit together or not at all: no committed change is without its webhook,
and no rolled-back one has any.  The body is made here, once, and stored:
every attempt and replay posts the same bytes under the same ``webhook-id``.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from ..bus import Message
from ..db import transaction
from ..events import Event
from ..models import Ticket, TicketReference, WebhookDelivery, WebhookEndpoint, utcnow
from .settings import WebhookSettings

# What a delivery tells of its ticket, as it is once the change commits (ids, and where a merge sent it).
TICKET_FIELDS = ("id", "number", "subject", "status", "priority", "category", "source", "queue_id", "team_id",
                 "assignee_id", "customer_id", "problem_id", "is_problem", "tags")


def body(message: Message[Event], ticket: dict[str, Any] | None, at: dt.datetime) -> str:
    """The JSON posted (Standard Webhooks' shape: type, timestamp, data), in UTF-8 with Chinese kept as is."""
    data = message.event.payload()
    if ticket is not None:
        data["ticket"] = ticket
    return json.dumps({"type": message.name, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str)


class Outbox:
    def __init__(self, session_factory: sessionmaker[Session], settings: WebhookSettings) -> None:
        self.session_factory, self.settings = session_factory, settings
        self._wanted: tuple[float, dict[str, list[int]]] | None = None
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Read the endpoints again at the next event (this process changed one)."""
        self._wanted = None

    def wanted(self, session: Session) -> dict[str, list[int]]:
        """Event name -> the active endpoints that want it; read again every ``endpoints_seconds``."""
        with self._lock:
            held = self._wanted
            if held is not None and time.monotonic() - held[0] < self.settings.endpoints_seconds:
                return held[1]
        found: dict[str, list[int]] = {}
        for endpoint_id, names in session.execute(select(WebhookEndpoint.id, WebhookEndpoint.events)
                                                  .where(WebhookEndpoint.active.is_(True))):
            for name in names or []:
                found.setdefault(str(name), []).append(endpoint_id)
        with self._lock:
            self._wanted = (time.monotonic(), found)
        return found

    def record(self, session: Session | None, messages: list[Message[Event]]) -> None:
        """The deliveries these events owe, in ``session``'s transaction (its own one when there is none)."""
        if session is None:
            with self.session_factory() as probe:
                if not any(m.name in self.wanted(probe) for m in messages):
                    return
            with transaction(self.session_factory) as own:
                self._write(own, messages)
            return
        self._write(session, messages)

    def _write(self, session: Session, messages: list[Message[Event]]) -> None:
        wanted = self.wanted(session)
        picked = [m for m in messages if m.name in wanted]
        if picked:
            self._insert(session, picked, lambda m: wanted[m.name])

    def deliver(self, session: Session, endpoint_id: int, message: Message[Event]) -> None:
        """One delivery of ``message`` to this endpoint, whatever events it wants (an automation rule's webhook),
        in ``session``'s transaction."""
        self._insert(session, [message], lambda _: [endpoint_id])

    def _insert(self, session: Session, picked: list[Message[Event]],
                endpoints: Callable[[Message[Event]], list[int]]) -> None:
        tickets = _tickets(session, {m.event.payload().get("ticket_id") for m in picked})
        now = utcnow()
        rows = []
        for message in picked:
            ticket_id = message.event.payload().get("ticket_id")
            ticket = tickets.get(ticket_id) if isinstance(ticket_id, int) else None
            text, message_id = body(message, ticket, now), f"msg_{uuid.uuid4().hex}"
            order = f"ticket:{ticket_id}" if isinstance(ticket_id, int) else ""
            rows += [{"endpoint_id": endpoint_id, "message_id": message_id, "event": message.name, "order_key": order,
                      "body": text, "next_attempt_at": now, "created_at": now} for endpoint_id in endpoints(message)]
        session.execute(insert(WebhookDelivery), rows)


def _tickets(session: Session, ids: set[Any]) -> dict[int, dict[str, Any]]:
    """The tickets' fields as this transaction leaves them; a merged one says which ticket it went to."""
    wanted = [i for i in ids if isinstance(i, int)]
    if not wanted:
        return {}
    target = aliased(Ticket)
    columns = [getattr(Ticket, name) for name in TICKET_FIELDS]
    found = {}
    for row in session.execute(select(*columns, target.number.label("merged_into"))
                               .outerjoin(target, target.id == Ticket.merged_into_id).where(Ticket.id.in_(wanted))):
        values = row._asdict()
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
        found[values["id"]] = values | {"references": []}
    # Other systems' ids for the ticket (an ERP's return): the receiver finds its own record by them.
    for ticket_id, system, ref in session.execute(select(TicketReference.ticket_id, TicketReference.system,
                                                         TicketReference.ref)
                                                  .where(TicketReference.ticket_id.in_(wanted))
                                                  .order_by(TicketReference.id)):
        found[ticket_id]["references"].append({"system": system, "ref": ref})
    return found
