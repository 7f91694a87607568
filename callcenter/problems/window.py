"""The open tickets of the similar-ticket window, kept in memory and brought up to date by what changed.

Reading the pool of open tickets (and their calls' transcripts) was most of
a lookup's time on a big table: over a million tickets, p99 371 of 429 ms.
Each process keeps the window's open tickets with their folded words, and
before each lookup reads only the tickets and transcripts changed since the
last one (``updated_at`` indexes), with a margin for transactions that
commit after their timestamp; every ``REBUILD`` it reads the whole window
again, so nothing missed stays wrong for long.  Whoever asks checks the
final few ids against the database (deleted, or not theirs to see).
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import OPEN_STATUSES, Ticket, Transcript, TranscriptStatus, utcnow
from ..text import synonyms

MARGIN = dt.timedelta(seconds=60)  # changes re-read again: a transaction may commit after its updated_at
REBUILD = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Row:
    ticket_id: int
    number: str
    subject: str
    category: str
    status: str
    created_at: dt.datetime
    words: frozenset[str]
    problem_id: int | None = None


class Window:
    def __init__(self) -> None:
        self._rows: dict[int, Row] = {}
        self._since: dt.datetime | None = None  # the oldest creation time held
        self._seen: dt.datetime | None = None  # changes up to here are read
        self._built: dt.datetime | None = None
        self.version = 0  # counts the changes seen: what is worked out from the rows is kept until it moves
        self._lock = threading.Lock()

    def rows(self, session: Session, since: dt.datetime) -> list[Row]:
        """The open tickets created since ``since``, as of now."""
        return self.held(session, since)[1]

    def held(self, session: Session, since: dt.datetime) -> tuple[int, list[Row]]:
        """``rows``, with the version they are of."""
        with self._lock:
            now = utcnow()
            if (self._since is None or since < self._since or self._built is None
                    or now - self._built > REBUILD):
                self._rows = {r.ticket_id: r for r in self._read(session, _query().where(Ticket.created_at >= since))}
                self._since, self._built = since, now
                self.version += 1
            else:
                assert self._seen is not None
                after = self._seen - MARGIN
                # Each side through its own updated_at index (one OR across both tables reads the whole window).
                changed = _query().where(Ticket.updated_at >= after, Ticket.created_at >= self._since)
                rows = self._read(session, changed, open_only=False)
                calls = list(session.scalars(select(Transcript.call_id).where(
                    Transcript.updated_at >= after, Transcript.status == TranscriptStatus.DONE)))
                if calls:  # a call's words arrived: its ticket again, with them
                    rows += self._read(session, _query().where(Ticket.origin_call_id.in_(calls),
                                                               Ticket.created_at >= self._since), open_only=False)
                for row in rows:
                    held = self._rows.get(row.ticket_id)
                    if row.status in _OPEN and held != row:
                        self._rows[row.ticket_id] = row
                        self.version += 1
                    elif row.status not in _OPEN and held is not None:
                        del self._rows[row.ticket_id]
                        self.version += 1
            self._seen = now
            return self.version, [r for r in self._rows.values() if r.created_at >= since]

    @staticmethod
    def _read(session: Session, query: Select[Any], open_only: bool = True) -> list[Row]:
        if open_only:
            query = query.where(Ticket.status.in_(OPEN_STATUSES))
        return [Row(r.id, r.number or "", r.subject, r.category, r.status.value, r.created_at,
                    frozenset(synonyms.fold(f"{r.search_words} {r.caller_words or ''}".split())), r.problem_id)
                for r in session.execute(query)]


_OPEN = {s.value for s in OPEN_STATUSES}


def _query() -> Select[Any]:
    return (select(Ticket.id, Ticket.number, Ticket.subject, Ticket.category, Ticket.status, Ticket.created_at,
                   Ticket.problem_id, Ticket.search_words, Transcript.caller_words)
            .outerjoin(Transcript, (Transcript.call_id == Ticket.origin_call_id)
                       & (Transcript.status == TranscriptStatus.DONE)))
