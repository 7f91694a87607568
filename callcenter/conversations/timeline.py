"""A ticket's one timeline: its calls (with recordings and transcript), messages, notes and changes.

Each entry says whether it is public (the conversation with the customer)
or internal (notes, the ticket's history), so no page or API ever shows an
internal note as a reply.  Recordings and transcripts follow the narrower
rule the recordings page uses: an agent hears only calls they answered.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..access import visibility
from ..models import (
    Call,
    Message,
    Recording,
    Ticket,
    TicketChange,
    TicketNote,
    Transcript,
    TranscriptStatus,
    User,
    Visibility,
)

EXCERPT = 280
# When two entries share a moment: the call first (it opened the ticket), the history last.
ORDER = {"call": 0, "message": 1, "note": 2, "change": 3}


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: str  # "call", "message", "note", "change"
    visibility: Visibility
    item: Call | Message | TicketNote | TicketChange
    recordings: tuple[Recording, ...] = ()
    transcript: str | None = None  # an excerpt, for those who may open the call

    @property
    def internal(self) -> bool:
        return self.visibility is Visibility.INTERNAL


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _calls(session: Session, ticket: Ticket, viewer: User) -> list[Entry]:
    calls = session.scalars(select(Call).where(or_(Call.ticket_id == ticket.id, Call.id == ticket.origin_call_id))
                            .options(selectinload(Call.recordings))).all()
    transcripts = dict(session.execute(select(Transcript.call_id, Transcript.text).where(
        Transcript.call_id.in_([c.id for c in calls]), Transcript.status == TranscriptStatus.DONE)).tuples().all())
    entries = []
    for call in calls:
        opens = visibility.can_open_call(session, viewer, call.id)
        recordings = tuple(r for r in call.recordings if r.purged_at is None) if opens else ()
        text = transcripts.get(call.id) if opens else None
        entries.append(Entry(call.started_at, "call", Visibility.PUBLIC, call, recordings,
                             excerpt(text) if text else None))
    return entries


def build(session: Session, ticket: Ticket, viewer: User) -> list[Entry]:
    """Every entry of the ticket, oldest first (the caller has checked the viewer may see the ticket)."""
    entries = _calls(session, ticket, viewer)
    messages = session.scalars(select(Message).where(Message.ticket_id == ticket.id)
                               .options(selectinload(Message.attachments))).all()
    entries += [Entry(m.at, "message", m.visibility, m) for m in messages]
    notes = session.scalars(select(TicketNote).where(TicketNote.ticket_id == ticket.id)).all()
    entries += [Entry(n.created_at, "note", Visibility.INTERNAL if n.internal else Visibility.PUBLIC, n)
                for n in notes]
    changes = session.scalars(select(TicketChange).where(TicketChange.ticket_id == ticket.id)).all()
    entries += [Entry(c.created_at, "change", Visibility.INTERNAL, c) for c in changes]
    return sorted(entries, key=lambda e: (e.at, ORDER[e.kind], e.item.id))
