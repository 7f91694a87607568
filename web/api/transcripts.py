"""API: full-text search of finished transcripts (words, agent, queue, tag, days of the centre)."""
from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles, visibility
from callcenter.i18n import N_
from callcenter.models import Call, CallTag
from callcenter.qa import search as transcripts

from ..db import get_db
from .registry import ApiError, api_user, args, container, endpoint
from .schemas import TranscriptHitOut
from .spec import Param

PAGE = 50
MAX_OFFSET = 10_000


@endpoint("GET", "/transcripts/search", roles=roles.REVIEWERS, scope="transcripts:read",
          summary=N_("Full-text search of finished transcripts"),
          response=TranscriptHitOut, many=True,
          params=(Param("q", {"type": "string", "minLength": 1, "maxLength": 1000}, required=True), "agent",
                  Param("queue", {"type": "string", "maxLength": 80}), "tag", "from", "to",
                  Param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0})))
def search_transcripts() -> ResponseReturnValue:
    read = args()
    q = transcripts.clean_query(read.text("q", 1000))
    if not q:
        raise ApiError(422, "invalid", "give some words to search for", {"q": "required"})
    period = read.period(container().settings.timezone)
    where = [visibility.call_clause(api_user())]
    tag = transcripts.clean_query(read.text("tag", 40)).lower()
    if tag:
        where.append(Call.id.in_(select(CallTag.call_id).where(CallTag.tag == tag)))
    agent, offset_n = read.ident("agent"), read.whole("offset", 0, MAX_OFFSET) or 0
    db = get_db()
    hits = transcripts.search(db, q, limit=PAGE, offset=offset_n, since=period.start, until=period.end,
                              agent_id=agent,
                              queue=transcripts.clean_query(read.text("queue", 80)) or None, where=where)
    tags = transcripts.tags_of(db, [h.call_id for h in hits])
    items = [TranscriptHitOut(call_id=h.call_id, transcript_id=h.transcript_id, started_at=h.started_at,
                              agent_id=h.agent_id, queue=h.queue_name, duration=h.duration, snippet=h.snippet,
                              matches=h.matches, tags=tags.get(h.call_id, [])).model_dump(mode="json")
             for h in hits]
    return jsonify(items=items, total=len(items), limit=PAGE, offset=offset_n)
