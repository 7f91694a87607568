"""Retention per queue: what is older than its queue's policy goes (recordings, transcripts, call records,
and the messages of tickets no longer open, with their files).

Idempotent (running it twice removes nothing the second time) and audited
with what it removed.  ``Removed`` counts what a purge or an erasure took,
and both delete recording files through ``delete_recordings``, which never
leaves the recordings directory.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..config import RetentionPolicy, RetentionSettings
from ..conversations.attachments import AttachmentStore
from ..db import rowcount
from ..models import OPEN_STATUSES, Attachment, Call, Message, Queue, Recording, Ticket, Transcript, utcnow

log = logging.getLogger(__name__)


@dataclass
class Removed:
    recordings: int = 0
    files: int = 0
    transcripts: int = 0
    calls: int = 0
    # Erasure only: tickets whose text was blanked; phones, e-mail addresses and WeChat OpenIDs deleted.
    tickets: int = 0
    identifiers: int = 0
    messages: int = 0
    attachments: int = 0

    def any(self) -> bool:
        return bool(self.recordings or self.files or self.transcripts or self.calls or self.messages)

    def add(self, other: Removed) -> None:
        self.recordings += other.recordings
        self.files += other.files
        self.transcripts += other.transcripts
        self.calls += other.calls
        self.messages += other.messages
        self.attachments += other.attachments


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


def delete_recordings(recordings: list[Recording], root: Path, now: dt.datetime, removed: Removed,
                      dry_run: bool = False) -> None:
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


def purge(session: Session, settings: RetentionSettings, recordings_root: Path, actor: Actor,
          now: dt.datetime | None = None, *, dry_run: bool = False,
          progress: Callable[[str | None, Removed], None] | None = None,
          attachments: AttachmentStore | None = None) -> Removed:
    """Apply each queue's retention policy (and the default for calls without a queue).

    ``progress`` (when given) hears what each queue lost as it is done;
    ``dry_run`` deletes no file and records no audit row, and the caller rolls back.
    """
    now = now or utcnow()
    removed = Removed()
    for name in queue_names(session, settings):
        part = _purge_queue(session, name, _policy(settings, name), recordings_root, now, dry_run)
        if attachments is not None:
            part.add(_purge_messages(session, name, _policy(settings, name), attachments, now, dry_run))
        removed.add(part)
        if progress is not None:
            progress(name, part)
    if removed.any() and not dry_run:
        audit.record(session, "retention_purge", actor, object_type="retention",
                     recordings=removed.recordings, files=removed.files, transcripts=removed.transcripts,
                     calls=removed.calls, messages=removed.messages, attachments=removed.attachments)
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
        delete_recordings(list(old), recordings_root, now, removed, dry_run)
    if policy.transcripts_days:
        cutoff = now - dt.timedelta(days=policy.transcripts_days)
        result = session.execute(delete(Transcript).where(
            Transcript.call_id.in_(calls_in_queue.where(Call.started_at < cutoff))))
        removed.transcripts += rowcount(result)
    if policy.calls_days:
        cutoff = now - dt.timedelta(days=policy.calls_days)
        old_calls = list(session.scalars(select(Call).where(in_queue, Call.started_at < cutoff)))
        for call in old_calls:
            delete_recordings([r for r in call.recordings if r.purged_at is None],
                              recordings_root, now, removed, dry_run)
            session.delete(call)
        removed.calls += len(old_calls)
    session.flush()
    return removed


def _purge_messages(session: Session, name: str | None, policy: RetentionPolicy, store: AttachmentStore,
                    now: dt.datetime, dry_run: bool) -> Removed:
    """Messages older than the policy on tickets of this queue that are no longer open, with their files.

    An open ticket keeps its whole conversation: the agent still needs it.
    """
    removed = Removed()
    if not policy.messages_days:
        return removed
    cutoff = now - dt.timedelta(days=policy.messages_days)
    in_queue = (Ticket.queue_id.is_(None) if name is None
                else Ticket.queue_id.in_(select(Queue.id).where(Queue.name == name)))
    tickets = select(Ticket.id).where(in_queue, Ticket.status.not_in(OPEN_STATUSES))
    old = list(session.scalars(select(Message).where(Message.ticket_id.in_(tickets), Message.created_at < cutoff)))
    if not old:
        return removed
    files = list(session.scalars(select(Attachment).where(Attachment.message_id.in_([m.id for m in old]))))
    removed.attachments = (sum(1 for a in files if store.file_for(a) is not None) if dry_run
                           else store.delete(files))
    for message in old:
        session.delete(message)
    removed.messages = len(old)
    session.flush()
    return removed
