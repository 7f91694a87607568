"""Fixture calls and tickets for one local day, with the daily summary's figures computed by hand.

The day is 2026-11-23 in Asia/Shanghai (UTC+8): from 2026-11-22 16:00 UTC
to 2026-11-23 16:00 UTC.  ``EXPECTED`` is what the text table must show.
"""
from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from callcenter.db import transaction
from callcenter.models import (
    Call,
    Callback,
    CallbackSource,
    CallbackStatus,
    Disposition,
    Queue,
    Survey,
    SurveyChannel,
    SurveyStatus,
    Ticket,
    TicketChange,
    TicketStatus,
)

DAY = dt.date(2026, 11, 23)
ZONE = "Asia/Shanghai"
UTC = dt.UTC


def at(hour: int, minute: int = 0, day: int = 23) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# Row label -> [whole centre, sales, support] (queues are listed by name).
EXPECTED = {
    "Calls": ["6", "2", "3"],
    "Answered": ["3", "1", "2"],
    "Abandoned in queue": ["1", "0", "1"],
    "Service level": ["50.0 %", "100.0 %", "33.3 %"],      # (s1, s4) / 4; s4 / 1; s1 / 3
    "Average handle time": ["3 min 20 s", "5 min", "2 min 30 s"],  # 600/3; 300; 300/2 s
    "First response": ["4 min", "—", "4 min"],                     # (120 + 360) / 2 s
    "CSAT (mean, surveys)": ["3.67 (3)", "2.00 (1)", "4.50 (2)"],  # (5+4+2)/3; 2; (5+4)/2
    "Callbacks kept": ["2/3 (66.7 %)", "0/0", "1/2 (50.0 %)"],
    "Tickets opened": ["3", "1", "2"],
    "Tickets closed": ["3", "1", "2"],                      # T1, T4 (support), T3 (sales)
    "SLA breaches": ["1", "0", "1"],
}


def seed(session_factory) -> None:
    with transaction(session_factory) as s:
        support, sales = Queue(name="support", service_level_seconds=20), Queue(name="sales", service_level_seconds=30)
        s.add_all([support, sales])
        s.flush()

        def call(n, disp, when, queue=None, wait=None, talk=None):
            c = Call(pbx="lab", linkedid=f"d.{n}", started_at=when, disposition=disp, wait_seconds=wait,
                     talk_seconds=talk, queue_id=queue.id if queue else None,
                     queue_name=queue.name if queue else None)
            s.add(c)
            s.flush()
            return c

        s1 = call(1, Disposition.ANSWERED, at(1), support, 10, 100)
        s2 = call(2, Disposition.ANSWERED, at(2), support, 30, 200)   # waited past support's 20 s
        call(3, Disposition.ABANDONED_QUEUE, at(3), support, 50)
        s4 = call(4, Disposition.ANSWERED, at(4), sales, 25, 300)     # within sales' 30 s
        call(5, Disposition.CALLBACK_REQUESTED, at(5), sales, 40)
        call(6, Disposition.ABANDONED_IVR, at(6))
        call(7, Disposition.ANSWERED, at(17), support, 1, 50)         # 01:00 on the 24th, Shanghai
        call(8, Disposition.ANSWERED, at(15, day=22), support, 1, 50)  # 23:00 on the 22nd, Shanghai

        t1 = Ticket(subject="a", queue_id=support.id, status=TicketStatus.RESOLVED, created_at=at(1, 5),
                    first_responded_at=at(1, 7), resolved_at=at(3))
        t2 = Ticket(subject="b", queue_id=support.id, status=TicketStatus.OPEN, created_at=at(2),
                    first_responded_at=at(2, 6))
        t3 = Ticket(subject="c", queue_id=sales.id, status=TicketStatus.CLOSED, created_at=at(4),
                    resolved_at=at(5), closed_at=at(5, 30))
        t4 = Ticket(subject="d", queue_id=support.id, status=TicketStatus.RESOLVED, created_at=at(9, day=21),
                    resolved_at=at(6))
        t5 = Ticket(subject="e", queue_id=sales.id, status=TicketStatus.RESOLVED, created_at=at(9, day=21),
                    resolved_at=at(17))  # resolved on the 24th, Shanghai
        s.add_all([t1, t2, t3, t4, t5])
        s.flush()
        s.add(TicketChange(ticket_id=t2.id, field="sla_breach", new_value="first_response", created_at=at(4)))
        s.add(TicketChange(ticket_id=t3.id, field="sla_breach", new_value="resolution", created_at=at(17)))
        for score, c in ((5, s1), (4, s2), (2, s4)):
            s.add(Survey(channel=SurveyChannel.IVR, status=SurveyStatus.COMPLETED, score=score, call_id=c.id,
                         completed_at=at(8)))
        s.add(Survey(channel=SurveyChannel.IVR, status=SurveyStatus.DECLINED, call_id=s1.id, completed_at=at(8)))
        for queue, done_after in ((support, 5), (support, 90), (None, 10)):
            s.add(Callback(number="+12025550143", source=CallbackSource.IVR, status=CallbackStatus.REACHED,
                           queue_id=queue.id if queue else None, due_at=at(3), sla_due_at=at(4),
                           completed_at=at(3) + dt.timedelta(minutes=done_after)))


def table_of(text: str) -> dict[str, list[str]]:
    """The text summary's rows back into label -> cells (cells are separated by 2+ spaces)."""
    import re

    rows = {}
    for line in text.splitlines()[3:]:
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) > 1:
            rows[parts[0]] = parts[1:]
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Inbox:
    """Messages accepted by the in-process SMTP server (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]


@contextmanager
def smtp_server(handler: Inbox | None = None) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free local port, keeping mail in ``handler`` (a new ``Inbox``)."""
    from aiosmtpd.controller import Controller

    inbox, port = handler if handler is not None else Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
