"""API: calls you may see, one call, and its transcript."""
from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcenter.access import roles, visibility
from callcenter.i18n import N_
from callcenter.models import Call, Disposition
from callcenter.qa import search as transcripts

from ..db import get_db
from .registry import api_user, args, container, endpoint, page, refused
from .schemas import CallOut, TranscriptOut
from .spec import Param

DISPOSITIONS = {d.value for d in Disposition}


@endpoint("GET", "/calls", roles=roles.EVERYONE, scope="calls:read",
          summary=N_("List calls you may see, newest first"), response=CallOut, many=True,
          params=(Param.choice("disposition", DISPOSITIONS), "from", "to", "limit", "offset"))
def list_calls() -> ResponseReturnValue:
    query = select(Call).where(visibility.call_clause(api_user())).order_by(Call.started_at.desc())
    read = args()
    disposition = read.choice("disposition", DISPOSITIONS)
    if disposition is not None:
        query = query.where(Call.disposition == Disposition(disposition))
    query = query.where(*read.period(container().settings.timezone).clauses(Call.started_at))
    return page(query, CallOut.of)


@endpoint("GET", "/calls/<int:call_id>", roles=roles.EVERYONE, scope="calls:read",
          summary=N_("One call"), response=CallOut)
def get_call(call_id: int) -> ResponseReturnValue:
    db = get_db()
    call = db.get(Call, call_id)
    if call is None or not visibility.can_see_call(db, api_user(), call_id):
        refused("call", call_id)
    return jsonify(CallOut.of(call).model_dump(mode="json"))


@endpoint("GET", "/calls/<int:call_id>/transcript", roles=roles.EVERYONE, scope="transcripts:read",
          summary=N_("A call's transcript: turns of timed words (agents: calls they answered)"), response=TranscriptOut)
def call_transcript(call_id: int) -> ResponseReturnValue:
    db = get_db()
    if not visibility.can_open_call(db, api_user(), call_id):
        refused("call", call_id)
    status = transcripts.job_status(db, call_id)
    t = transcripts.transcript_for_call(db, call_id)
    out = TranscriptOut(call_id=call_id, status=status[0] if status else None, error=status[1] if status else None,
                        language=t.language if t else None, duration=t.duration_seconds if t else None,
                        redacted=bool(t and t.redacted), turns=t.turns if t else [],
                        redactions=(t.redactions or []) if t else [],
                        tags=transcripts.tags_of(db, [call_id]).get(call_id, []),
                        audio_url=f"/qa/calls/{call_id}/audio" if t and t.qa_audio else None)
    return jsonify(out.model_dump(mode="json"))
