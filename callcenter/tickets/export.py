"""The ticket list as CSV: small ones at once, big ones as a background job written in short transactions.

Either way the rows are the ones the requester may open, under the same
filters as the list page, through the one guarded CSV writer.
"""
from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..access import audit, visibility
from ..access.audit import Actor
from ..background.jobs import JobError
from ..background.worker import Work
from ..db import transaction
from ..i18n import N_, say_in
from ..models import Queue, Ticket, User
from ..reporting.exports import safe_cell
from . import queries

KIND = "export_tickets"
# The columns, in a fixed order: a key (stable, for programs) and the header a person reads, in their
# language.  Values stay machine-readable: codes, and moments in ISO 8601 (UTC).
COLUMNS = [("number", N_("Number")), ("subject", N_("Subject")), ("status", N_("Status")),
           ("priority", N_("Priority")), ("category", N_("Category")), ("queue", N_("Queue")),
           ("assignee", N_("Assigned to")), ("customer_id", N_("Customer id")), ("created_at", N_("Created")),
           ("updated_at", N_("Updated"))]
HEADER = [key for key, _ in COLUMNS]
# The list's filters that travel with a job (nothing else from the query string is kept).
FILTER_KEYS = ("status", "priority", "queue", "category", "assignee", "sla", "from", "to", "q")


def header(language: str) -> list[str]:
    """The header row in ``language`` (the requester's: the job carries it)."""
    return [say_in(language, label) for _, label in COLUMNS]


def filter_args(args: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(args[k])[:100] for k in FILTER_KEYS if args.get(k)}


def _where(user: User, args: Mapping[str, Any], zone: str) -> list[Any]:
    return [visibility.ticket_clause(user), *queries.filters(args, zone, user.id)]


def count(session: Session, user: User, args: Mapping[str, Any], zone: str) -> int:
    return session.scalar(select(func.count()).select_from(Ticket).where(*_where(user, args, zone))) or 0


def _batch(session: Session, user: User, args: Mapping[str, Any], zone: str, after: int,
           size: int) -> list[list[Any]]:
    queues = dict(session.execute(select(Queue.id, Queue.name)).tuples().all())
    tickets = session.scalars(select(Ticket).where(*_where(user, args, zone), Ticket.id > after)
                              .order_by(Ticket.id).limit(size)).all()
    names = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({t.assignee_id for t in tickets if t.assignee_id}))).tuples().all())
    return [[t.id, t.number, t.subject, t.status.value, t.priority.value, t.category or "",
             queues.get(t.queue_id, "") if t.queue_id else "", names.get(t.assignee_id, "") if t.assignee_id else "",
             t.customer_id or "", t.created_at.isoformat(), t.updated_at.isoformat()] for t in tickets]


def at_once(session: Session, actor: Actor, args: Mapping[str, Any], zone: str,
            size: int = 500) -> list[list[Any]]:
    """Every row now, in this session (small exports answered in the request); audited."""
    assert actor.user is not None
    found, after = [], 0
    while batch := _batch(session, actor.user, args, zone, after, size):
        after = batch[-1][0]
        found += [row[1:] for row in batch]
    audit.record(session, "tickets_exported", actor, object_type="ticket", rows=len(found), filters=dict(args))
    return found


def _write(out: Any, row: Sequence[Any]) -> None:
    out.writerow([safe_cell(c) for c in row])


def run(work: Work, directory: Path, batch: int) -> dict[str, Any]:
    """The background job: the file ``<job id>.csv`` in ``directory``, a batch per transaction."""
    args, zone = work.params.get("filters", {}), str(work.params.get("zone", "UTC"))
    language = str(work.params.get("language", "en"))
    directory.mkdir(parents=True, exist_ok=True)
    final, part = directory / f"{work.job_id}.csv", directory / f"{work.job_id}.csv.part"
    with transaction(work.session_factory) as session:
        user = session.get(User, work.requested_by_id) if work.requested_by_id else None
        if user is None or not user.is_active:
            raise JobError(N_("The person who asked for this export is no longer active."))
        total = count(session, user, args, zone)
    work.progress(0, total)
    written, after = 0, 0
    with part.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header(language))
        while True:
            with transaction(work.session_factory) as session:
                user = session.get(User, work.requested_by_id)
                assert user is not None
                found = _batch(session, user, args, zone, after, batch)
            if not found:
                break
            for row in found:
                _write(out, row[1:])
            after, written = found[-1][0], written + len(found)
            work.progress(written, max(total, written))
    os.replace(part, final)
    with transaction(work.session_factory) as session:
        audit.record(session, "tickets_exported", work.actor(session), object_type="ticket", rows=written,
                     filters=dict(args), job=work.job_id)
    return {"file": final.name, "rows": written}
