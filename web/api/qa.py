"""REST API for QA: transcript search and one call's transcript (words, times, redactions, tags)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, jsonify, request
from pydantic import BaseModel
from sqlalchemy import select

from callcenter import visibility
from callcenter.models import Call, CallTag, Role
from callcenter.transcribe import queries

from ..db import get_db
from ..qa.routes import PAGE, clean_query, day_bounds
from .registry import ApiError, endpoint
from .routes import _refused

REVIEWERS = (Role.QA, Role.SUPERVISOR, Role.ADMIN)
VIEWERS = (*REVIEWERS, Role.AGENT)


class TranscriptHitOut(BaseModel):
    call_id: int
    transcript_id: int
    started_at: dt.datetime
    agent_id: int | None
    queue: str | None
    duration: float | None
    snippet: str
    matches: list[dict[str, Any]]
    tags: list[str]


class TranscriptOut(BaseModel):
    call_id: int
    status: str | None
    error: str | None
    language: str | None
    duration: float | None
    redacted: bool
    # [{"speaker", "start", "end", "words": [{"w", "start", "end", "conf", "redacted"?}]}]
    turns: list[dict[str, Any]]
    redactions: list[dict[str, Any]]
    tags: list[str]
    audio_url: str | None


def _tags(call_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for call_id, tag in get_db().execute(select(CallTag.call_id, CallTag.tag)
                                         .where(CallTag.call_id.in_(call_ids)).order_by(CallTag.tag)):
        out.setdefault(call_id, []).append(tag)
    return out


@endpoint("GET", "/transcripts/search", roles=REVIEWERS, summary="Full-text search of finished transcripts",
          response=TranscriptHitOut, many=True, params=("q", "agent", "queue", "tag", "from", "to", "offset"))
def search_transcripts():  # type: ignore[no-untyped-def]
    args = request.args
    q = clean_query(args.get("q", ""))
    if not q:
        raise ApiError(422, "invalid", "give some words to search for", {"q": "required"})
    since, until = day_bounds(args.get("from", "")[:10], args.get("to", "")[:10])
    where = [visibility.call_clause(g.api_user)]
    tag = clean_query(args.get("tag", ""))[:40].lower()
    if tag:
        where.append(Call.id.in_(select(CallTag.call_id).where(CallTag.tag == tag)))
    agent, offset = args.get("agent", ""), args.get("offset", "0")
    offset_n = min(int(offset), 10_000) if offset.isdigit() else 0
    hits = queries.search(get_db(), q, limit=PAGE, offset=offset_n, since=since, until=until,
                          agent_id=int(agent) if agent.isdigit() else None,
                          queue=clean_query(args.get("queue", ""))[:80] or None, where=where)
    tags = _tags([h.call_id for h in hits])
    items = [TranscriptHitOut(call_id=h.call_id, transcript_id=h.transcript_id, started_at=h.started_at,
                              agent_id=h.agent_id, queue=h.queue_name, duration=h.duration, snippet=h.snippet,
                              matches=h.matches, tags=tags.get(h.call_id, [])).model_dump(mode="json")
             for h in hits]
    return jsonify(items=items, total=len(items), limit=PAGE, offset=offset_n)


@endpoint("GET", "/calls/<int:call_id>/transcript", roles=VIEWERS,
          summary="A call's transcript: turns of timed words (agents: their own calls)", response=TranscriptOut)
def call_transcript(call_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    user = g.api_user
    if user.role is Role.AGENT:
        allowed = db.scalar(select(Call.agent_id).where(Call.id == call_id)) == user.id
    else:
        allowed = visibility.can_see_call(db, user, call_id)
    if not allowed:
        _refused("call", call_id)
        raise ApiError(404, "not_found", "no such call")
    status = queries.job_status(db, call_id)
    t = queries.transcript_for_call(db, call_id)
    out = TranscriptOut(call_id=call_id, status=status[0] if status else None, error=status[1] if status else None,
                        language=t.language if t else None, duration=t.duration_seconds if t else None,
                        redacted=bool(t and t.redacted), turns=t.turns if t else [],
                        redactions=(t.redactions or []) if t else [], tags=_tags([call_id]).get(call_id, []),
                        audio_url=f"/qa/calls/{call_id}/audio" if t and t.qa_audio else None)
    return jsonify(out.model_dump(mode="json"))
