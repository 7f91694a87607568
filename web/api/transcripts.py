"""API: full-text search of finished transcripts (words, agent, queue, tag, days of the centre)."""
from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter import days
from callcenter.access import roles, visibility
from callcenter.models import Call, CallTag
from callcenter.qa import search as transcripts

from ..db import get_db
from .registry import ApiError, api_user, container, endpoint
from .schemas import TranscriptHitOut

PAGE = 50


@endpoint("GET", "/transcripts/search", roles=roles.REVIEWERS, scope="transcripts:read",
          summary="Full-text search of finished transcripts",
          response=TranscriptHitOut, many=True, params=("q", "agent", "queue", "tag", "from", "to", "offset"))
def search_transcripts() -> ResponseReturnValue:
    args = request.args
    q = transcripts.clean_query(args.get("q", ""))
    if not q:
        raise ApiError(422, "invalid", "give some words to search for", {"q": "required"})
    period = days.between(args.get("from"), args.get("to"), container().settings.timezone)
    where = [visibility.call_clause(api_user())]
    tag = transcripts.clean_query(args.get("tag", ""))[:40].lower()
    if tag:
        where.append(Call.id.in_(select(CallTag.call_id).where(CallTag.tag == tag)))
    agent, offset = args.get("agent", ""), args.get("offset", "0")
    offset_n = min(int(offset), 10_000) if offset.isdigit() else 0
    db = get_db()
    hits = transcripts.search(db, q, limit=PAGE, offset=offset_n, since=period.start, until=period.end,
                              agent_id=int(agent) if agent.isdigit() else None,
                              queue=transcripts.clean_query(args.get("queue", ""))[:80] or None, where=where)
    tags = transcripts.tags_of(db, [h.call_id for h in hits])
    items = [TranscriptHitOut(call_id=h.call_id, transcript_id=h.transcript_id, started_at=h.started_at,
                              agent_id=h.agent_id, queue=h.queue_name, duration=h.duration, snippet=h.snippet,
                              matches=h.matches, tags=tags.get(h.call_id, [])).model_dump(mode="json")
             for h in hits]
    return jsonify(items=items, total=len(items), limit=PAGE, offset=offset_n)
