"""Tickets by the channel they came in on (``Ticket.source``): a channel that answers slowly shows here.

Definitions (shown beside the table), over the report's filter (period,
queues, team, agent, and the viewer's teams):
* tickets: created in the period;
* first response: mean of first_responded_at - created_at of those answered
  (on a written channel only a person's public reply counts, see
  ``Conversations.queue_outbound``);
* first response within SLA: answered by first_response_due_at / tickets
  whose promise is decided (answered, or due and still unanswered);
* backlog: tickets created up to the period's end and still open now
  (new, open or waiting on the customer).
The usual channels always have a row, so a quiet one shows as zero.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from ..models import OPEN_STATUSES, Channel, Ticket, utcnow
from .figures import ReportFilter

CHANNELS = tuple(c.value for c in Channel)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def by_channel(session: Session, f: ReportFilter, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One row per channel: tickets, first-response mean, SLA share and backlog (see the definitions)."""
    now = now or utcnow()
    answered = Ticket.first_responded_at.is_not(None)
    due = Ticket.first_response_due_at
    decided = or_(answered, and_(due.is_not(None), due <= now))
    counted = session.execute(f.tickets(select(
        Ticket.source, func.count(),
        func.sum(case((and_(due.is_not(None), decided), 1), else_=0)),
        func.sum(case((and_(answered, due.is_not(None), Ticket.first_responded_at <= due), 1), else_=0)))
        .group_by(Ticket.source))).tuples().all()
    waits: dict[str, list[float]] = {}
    for source, created, responded in session.execute(f.tickets(
            select(Ticket.source, Ticket.created_at, Ticket.first_responded_at).where(answered))).tuples():
        waits.setdefault(source, []).append((responded - created).total_seconds())
    since_ever = dataclasses.replace(f, start=EPOCH)
    backlog = dict(session.execute(since_ever.tickets(
        select(Ticket.source, func.count()).where(Ticket.status.in_(OPEN_STATUSES)).group_by(Ticket.source)))
        .tuples().all())
    rows = {c: _row(c) for c in CHANNELS}
    for source, tickets, promised, kept in counted:
        row = rows.setdefault(source, _row(source))
        row.update(tickets=tickets, sla_decided=int(promised or 0), sla_met=int(kept or 0))
    for source, open_count in backlog.items():
        rows.setdefault(source, _row(source))["backlog"] = open_count
    for source, seconds in waits.items():
        rows[source].update(answered=len(seconds), first_response_mean_seconds=round(sum(seconds) / len(seconds), 1))
    for row in rows.values():
        row["sla_attainment"] = round(row["sla_met"] / row["sla_decided"], 4) if row["sla_decided"] else None
    order = {c: i for i, c in enumerate(CHANNELS)}
    return sorted(rows.values(), key=lambda r: (order.get(r["channel"], len(order)), r["channel"]))


def _row(channel: str) -> dict[str, Any]:
    return {"channel": channel, "tickets": 0, "answered": 0, "first_response_mean_seconds": None,
            "sla_decided": 0, "sla_met": 0, "sla_attainment": None, "backlog": 0}


HEADER = ["channel", "tickets", "answered", "first_response_mean_seconds", "sla_decided", "sla_met",
          "sla_attainment", "backlog"]


def csv_rows(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The table as the CSV export writes it (channel codes, seconds, shares 0-1)."""
    return HEADER, [[r[k] for k in HEADER] for r in rows]
