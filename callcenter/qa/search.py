"""What the QA workspace asks of transcripts: search, one call's turns, where words match.

The web pages, the API and the CLI call these with their own session;
nothing here renders HTML or checks roles.  Search terms are user input:
control characters are dropped, LIKE wildcards are escaped and every term
must appear (case-insensitive).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from ..models import Call, CallTag, Transcript
from ..models.transcripts import TranscriptStatus
from ..transcribe.speakers import Turn

MAX_TERMS = 8
MAX_QUERY = 200


def clean_query(raw: str) -> str:
    """User input: control characters out (PostgreSQL refuses NUL), length capped."""
    return "".join(ch if ch.isprintable() else " " for ch in raw[: MAX_QUERY * 4])[:MAX_QUERY].strip()


@dataclass(frozen=True)
class Hit:
    call_id: int
    transcript_id: int
    started_at: dt.datetime
    caller_number: str | None
    agent_id: int | None
    queue_name: str | None
    duration: float | None
    snippet: str
    # Words that match, with times, for highlighting and click-to-seek.
    matches: list[dict[str, Any]]


def transcript_for_call(session: Session, call_id: int) -> Transcript | None:
    """The call's finished transcript (None while queued, running or failed)."""
    return session.scalar(select(Transcript).where(Transcript.call_id == call_id,
                                                   Transcript.status == TranscriptStatus.DONE))


def job_status(session: Session, call_id: int) -> tuple[str, str | None] | None:
    """(status, error) of the call's transcription job, for a 'pending/failed' badge."""
    row = session.execute(select(Transcript.status, Transcript.error)
                          .where(Transcript.call_id == call_id)).first()
    return (row[0].value, row[1]) if row else None


def _terms(query: str) -> list[str]:
    return [t for t in query.lower().split() if t][:MAX_TERMS]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching(query: str, since: dt.datetime | None, until: dt.datetime | None, agent_id: int | None,
              queue: str | None, where: Sequence[ColumnElement[bool]]) -> Select[tuple[Transcript, Call]] | None:
    """Finished transcripts (with their call) containing every term; None when there is no term."""
    terms = _terms(query)
    if not terms:
        return None
    q = (select(Transcript, Call).join(Call, Call.id == Transcript.call_id)
         .where(Transcript.status == TranscriptStatus.DONE))
    for term in terms:
        q = q.where(func.lower(Transcript.text).like(_like(term), escape="\\"))
    if since is not None:
        q = q.where(Call.started_at >= since)
    if until is not None:
        q = q.where(Call.started_at < until)
    if agent_id is not None:
        q = q.where(Call.agent_id == agent_id)
    if queue:
        q = q.where(Call.queue_name == queue)
    return q.where(*where)


def search(session: Session, query: str, limit: int = 50, offset: int = 0,
           since: dt.datetime | None = None, until: dt.datetime | None = None,
           agent_id: int | None = None, queue: str | None = None,
           where: Sequence[ColumnElement[bool]] = ()) -> list[Hit]:
    """Finished transcripts containing every term, newest call first.

    ``where`` narrows further (the web passes the user's visibility clause and tag filter).
    """
    q = _matching(query, since, until, agent_id, queue, where)
    if q is None:
        return []
    q = q.order_by(Call.started_at.desc(), Call.id.desc()).limit(min(limit, 500)).offset(offset)
    terms = _terms(query)
    return [_hit(t, c, terms) for t, c in session.execute(q).all()]


def count(session: Session, query: str, since: dt.datetime | None = None, until: dt.datetime | None = None,
          agent_id: int | None = None, queue: str | None = None,
          where: Sequence[ColumnElement[bool]] = ()) -> int:
    """How many transcripts ``search`` would find over every page."""
    q = _matching(query, since, until, agent_id, queue, where)
    return 0 if q is None else session.scalar(select(func.count()).select_from(q.subquery())) or 0


def _hit(t: Transcript, call: Call, terms: list[str]) -> Hit:
    matches = matching_words(t.turns, terms)
    return Hit(call.id, t.id, call.started_at, call.caller_number, call.agent_id, call.queue_name,
               t.duration_seconds, snippet(t.turns, matches[0] if matches else None), matches)


def matching_words(turns: list[Turn], terms: list[str] | str) -> list[dict[str, Any]]:
    """Every word containing a term: {"speaker", "w", "start", "end", "turn", "index"}."""
    terms = _terms(terms) if isinstance(terms, str) else terms
    return [{"speaker": t["speaker"], "w": w["w"], "start": w["start"], "end": w["end"],
             "turn": ti, "index": wi}
            for ti, t in enumerate(turns) for wi, w in enumerate(t["words"])
            if any(term in w["w"].lower() for term in terms)]


def snippet(turns: list[Turn], match: dict[str, Any] | None, around: int = 6) -> str:
    """A few words either side of the first match ('speaker: ... words ...')."""
    if not turns:
        return ""
    ti, wi = (match["turn"], match["index"]) if match else (0, 0)
    turn = turns[ti]
    words = [w["w"] for w in turn["words"]]
    lo, hi = max(0, wi - around), min(len(words), wi + around + 1)
    return (f"{turn['speaker']}: {'… ' if lo else ''}{' '.join(words[lo:hi])}"
            f"{' …' if hi < len(words) else ''}")


def tags_of(session: Session, call_ids: list[int]) -> dict[int, list[str]]:
    """Each call's tags, alphabetically."""
    out: dict[int, list[str]] = {}
    for call_id, tag in session.execute(select(CallTag.call_id, CallTag.tag)
                                        .where(CallTag.call_id.in_(call_ids)).order_by(CallTag.tag)):
        out.setdefault(call_id, []).append(tag)
    return out
