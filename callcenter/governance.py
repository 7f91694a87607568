"""Data governance: retention per queue, the purge job, erasure of one customer.

Both operations are idempotent (running them twice changes nothing the
second time) and leave an audit row saying what they removed.  Erasure keeps
the statistics a supervisor needs (times, queue, disposition, agent) and
removes what identifies the person: recordings, transcripts, numbers,
names, and the free text they dictated.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from . import audit
from .config import RetentionPolicy, RetentionSettings
from .models import (
    Call, CallLeg, Callback, CallbackStatus, Customer, CustomerPhone, FormSubmission, Queue, Recording, Survey, Ticket,
    TicketNote, Transcript, User, utcnow,
)

log = logging.getLogger(__name__)
ERASED = "[erased]"


@dataclass
class Removed:
    recordings: int = 0
    files: int = 0
    transcripts: int = 0
    calls: int = 0
    # Erasure only: tickets whose text was blanked.
    tickets: int = 0
    details: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.recordings or self.files or self.transcripts or self.calls)

    def add(self, other: Removed) -> None:
        self.recordings += other.recordings
        self.files += other.files
        self.transcripts += other.transcripts
        self.calls += other.calls


def _delete_file(root: Path, relative: str) -> bool:
    path = (root / relative).resolve()
    if root.resolve() not in path.parents:
        log.warning("refusing to delete %s: outside the recordings directory", relative)
        return False
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False


def _purge_recordings(session: Session, recordings: list[Recording], root: Path, now: dt.datetime,
                      removed: Removed, dry_run: bool = False) -> None:
    """Delete the files (a dry run only counts them; its caller rolls the rows back)."""
    for rec in recordings:
        if (root / rec.path).is_file() if dry_run else _delete_file(root, rec.path):
            removed.files += 1
        rec.purged_at = now
        removed.recordings += 1


def _policy(settings: RetentionSettings, queue_name: str | None) -> RetentionPolicy:
    return settings.queues.get(queue_name or "", settings.default)


def queue_names(session: Session, settings: RetentionSettings) -> list[str | None]:
    """What a purge walks through: calls without a queue (None), each queue, each configured name."""
    names = [None, *session.scalars(select(Queue.name))]
    return list(dict.fromkeys(names + list(settings.queues)))


def purge(session: Session, settings: RetentionSettings, recordings_root: Path,
          now: dt.datetime | None = None, *, actor_name: str | None = None, dry_run: bool = False,
          progress: Callable[[str | None, Removed], None] | None = None) -> Removed:
    """Apply each queue's retention policy (and the default for calls without a queue).

    ``progress`` (when given) hears what each queue lost as it is done;
    ``dry_run`` deletes no file and records no audit row, and the caller rolls back.
    """
    now = now or utcnow()
    removed = Removed()
    for name in queue_names(session, settings):
        part = _purge_queue(session, name, _policy(settings, name), recordings_root, now, dry_run)
        removed.add(part)
        if progress is not None:
            progress(name, part)
    if removed.any() and not dry_run:
        audit.record(session, "retention_purge", actor_name=actor_name, object_type="retention",
                     recordings=removed.recordings, files=removed.files, transcripts=removed.transcripts,
                     calls=removed.calls)
    return removed


def _purge_queue(session: Session, name: str | None, policy: RetentionPolicy, recordings_root: Path,
                 now: dt.datetime, dry_run: bool) -> Removed:
    removed = Removed()
    in_queue = Call.queue_name.is_(None) if name is None else Call.queue_name == name
    calls_in_queue = select(Call.id).where(in_queue)
    if policy.recordings_days:
        cutoff = now - dt.timedelta(days=policy.recordings_days)
        old = session.scalars(select(Recording).where(
            Recording.purged_at.is_(None), Recording.call_id.in_(calls_in_queue.where(Call.started_at < cutoff))))
        _purge_recordings(session, list(old), recordings_root, now, removed, dry_run)
    if policy.transcripts_days:
        cutoff = now - dt.timedelta(days=policy.transcripts_days)
        result = session.execute(delete(Transcript).where(
            Transcript.call_id.in_(calls_in_queue.where(Call.started_at < cutoff))))
        removed.transcripts += result.rowcount or 0
    if policy.calls_days:
        cutoff = now - dt.timedelta(days=policy.calls_days)
        old_calls = list(session.scalars(select(Call).where(in_queue, Call.started_at < cutoff)))
        for call in old_calls:
            _purge_recordings(session, [r for r in call.recordings if r.purged_at is None],
                              recordings_root, now, removed, dry_run)
            session.delete(call)
        removed.calls += len(old_calls)
    session.flush()
    return removed


def erase_customer(session: Session, customer_id: int, recordings_root: Path, *, actor: User | None,
                   reason: str, actor_name: str | None = None, dry_run: bool = False) -> Removed:
    """Right to erasure: personal data of one customer gone, statistics kept anonymous.

    ``dry_run`` deletes no file and records no audit row: the caller rolls the
    transaction back and shows the counts as a preview.
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"no customer {customer_id}")
    removed = Removed()
    now = utcnow()
    numbers = list(session.scalars(select(CustomerPhone.number).where(CustomerPhone.customer_id == customer_id)))
    calls = select(Call.id).where((Call.customer_id == customer_id) | Call.caller_number.in_(numbers or [""]))
    call_ids = list(session.scalars(calls))
    recordings = list(session.scalars(select(Recording).where(Recording.call_id.in_(call_ids),
                                                              Recording.purged_at.is_(None))))
    _purge_recordings(session, recordings, recordings_root, now, removed, dry_run)
    removed.transcripts = session.execute(delete(Transcript).where(Transcript.call_id.in_(call_ids))).rowcount or 0
    anonymised = session.execute(update(Call).where(Call.id.in_(call_ids), Call.caller_number.is_not(None))
                                 .values(caller_number=None, caller_raw=None, caller_name=None,
                                         customer_id=None)).rowcount or 0
    session.execute(update(CallLeg).where(CallLeg.call_id.in_(call_ids), CallLeg.kind == "caller")
                    .values(channel=ERASED))
    ticket_ids = list(session.scalars(select(Ticket.id).where(
        (Ticket.customer_id == customer_id) | Ticket.origin_call_id.in_(call_ids))))
    session.execute(update(Ticket).where(Ticket.id.in_(ticket_ids), Ticket.description != ERASED)
                    .values(description=ERASED, subject=ERASED, customer_id=None))
    session.execute(update(TicketNote).where(TicketNote.ticket_id.in_(ticket_ids)).values(body=ERASED))
    session.execute(update(FormSubmission).where(FormSubmission.ticket_id.in_(ticket_ids)).values(data={}))
    session.execute(update(Callback).where(Callback.customer_id == customer_id,
                                           Callback.status == CallbackStatus.PENDING)
                    .values(status=CallbackStatus.CANCELLED, outcome_detail="customer erased"))
    session.execute(update(Callback).where(Callback.customer_id == customer_id)
                    .values(number=ERASED, customer_id=None))
    session.execute(update(Survey).where(Survey.customer_id == customer_id).values(customer_id=None))
    session.execute(delete(CustomerPhone).where(CustomerPhone.customer_id == customer_id))
    first_time = customer.erased_at is None
    customer.name, customer.email, customer.company, customer.notes = ERASED, None, None, ""
    customer.external_ref = None
    customer.erased_at = customer.erased_at or now
    removed.calls, removed.tickets = anonymised, len(ticket_ids)
    if (first_time or removed.any()) and not dry_run:
        audit.record(session, "customer_erased", actor=actor, actor_name=actor_name, object_type="customer", object_id=customer_id,
                     reason=reason[:200], recordings=removed.recordings, transcripts=removed.transcripts,
                     calls_anonymised=anonymised, tickets=len(ticket_ids))
    return removed
