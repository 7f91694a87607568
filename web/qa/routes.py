"""The QA workspace: one call's redacted audio beside its word-timed transcript, and search.

Only the redacted QA copy of a recording is ever served here, only by call
id, and only to someone allowed to see that call (an agent: calls they
answered).  Each listen is audited once, like the recordings page.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import or_, select

from callcenter import audit, scorecards, visibility
from callcenter.models import Call, CallTag, QAReview, Queue, Role, Scorecard, User
from callcenter.transcribe import keywords, queries, sources

from ..auth.access import roles_required
from ..db import get_db
from ..recordings.routes import audio_response, starts_a_listen
from . import bp

VIEWERS = (Role.QA, Role.SUPERVISOR, Role.ADMIN, Role.AGENT)
REVIEWERS = (Role.QA, Role.SUPERVISOR, Role.ADMIN)
LOW_CONFIDENCE = 0.6
MAX_QUERY = 200
PAGE = 50


def visible_call(call_id: int) -> Call:
    """The call if this user may see its transcript (agents: calls they answered); else 404/403."""
    db = get_db()
    call = db.get(Call, call_id)
    if call is None:
        abort(404)
    if current_user.role is Role.AGENT:
        allowed = call.agent_id == current_user.id
    else:
        allowed = visibility.can_see_call(db, current_user, call_id)
    if not allowed:
        audit.record(db, "qa_call_denied", actor=current_user, object_type="call", object_id=call_id,
                     ip=request.remote_addr, outcome="denied")
        db.commit()
        abort(403)
    return call


def user_names(ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u.display_name or u.username for u in get_db().scalars(select(User).where(User.id.in_(ids)))}


def _lanes(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turns with a global word index each (the player highlights by index)."""
    out, n = [], 0
    for turn in turns:
        words = []
        for w in turn.get("words", []):
            words.append({**w, "i": n, "low": float(w.get("conf", 1.0)) < LOW_CONFIDENCE})
            n += 1
        out.append({**turn, "words": words})
    return out


@bp.route("/calls/<int:call_id>")
@roles_required(*VIEWERS)
def workspace(call_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    call = visible_call(call_id)
    settings = current_app.extensions["container"].settings
    transcript = queries.transcript_for_call(db, call_id)
    status = queries.job_status(db, call_id)
    audio = None
    if transcript is not None:
        path = sources.qa_audio_path(settings, transcript.qa_audio)
        audio = path if path is not None and path.is_file() else None
    reviews = db.scalars(select(QAReview).where(QAReview.call_id == call_id).order_by(QAReview.id.desc())).all()
    cards = {c.id: c for c in db.scalars(select(Scorecard).where(
        or_(Scorecard.id.in_({r.scorecard_id for r in reviews}), Scorecard.is_active)))}
    can_review = current_user.role in REVIEWERS
    return render_template(
        "qa/workspace.html", call=call, transcript=transcript,
        lanes=_lanes(transcript.turns or []) if transcript else [],
        status=status[0] if status else None, error=status[1] if status else None,
        has_recording=any(r.purged_at is None for r in call.recordings), audio=audio,
        tags=db.scalars(select(CallTag).where(CallTag.call_id == call_id).order_by(CallTag.tag)).all(),
        reviews=reviews, cards=cards, can_review=can_review,
        active_cards=scorecards.active_cards(db) if can_review else [],
        pre_marks=keywords.pre_marks(db, call_id) if can_review else {},
        names=user_names({call.agent_id, *(r.reviewer_id for r in reviews)}))


@bp.route("/calls/<int:call_id>/audio")
@roles_required(*VIEWERS)
def audio(call_id: int):  # type: ignore[no-untyped-def]
    db = get_db()
    visible_call(call_id)
    transcript = queries.transcript_for_call(db, call_id)
    settings = current_app.extensions["container"].settings
    path = sources.qa_audio_path(settings, transcript.qa_audio) if transcript else None
    if path is None or not path.is_file():
        abort(404)
    if starts_a_listen():
        audit.record(db, "qa_audio_played", actor=current_user, object_type="call", object_id=call_id,
                     ip=request.remote_addr)
        db.commit()
    return audio_response(path, f"call-{call_id}-qa.wav")


def clean_query(raw: str) -> str:
    """User input: control characters out (PostgreSQL refuses NUL), length capped."""
    return "".join(ch if ch.isprintable() else " " for ch in raw[: MAX_QUERY * 4])[:MAX_QUERY].strip()


def day_bounds(start: str, end: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """'from'/'to' dates (inclusive) in the call centre's time zone, as UTC bounds."""
    zone = ZoneInfo(current_app.extensions["container"].settings.timezone)

    def parse(text: str) -> dt.date | None:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return None
        return day if 1900 <= day.year <= 9000 else None  # far-off dates overflow in UTC

    a, b = parse(start), parse(end)
    since = dt.datetime.combine(a, dt.time(), tzinfo=zone) if a else None
    until = dt.datetime.combine(b + dt.timedelta(days=1), dt.time(), tzinfo=zone) if b else None
    return since, until


def marked(snippet: str, terms: list[str]) -> tuple[str, list[tuple[str, bool]]]:
    """('caller', [(word, is_hit), ...]) from a snippet 'caller: ... words ...'."""
    speaker, _, rest = snippet.partition(": ")
    return speaker, [(w, any(t in w.lower() for t in terms)) for w in rest.split()]


def search_args() -> dict[str, Any]:
    args = request.args
    agent, offset = args.get("agent", ""), args.get("offset", "0")
    return {"q": clean_query(args.get("q", "")), "agent": int(agent) if agent.isdigit() else None,
            "queue": clean_query(args.get("queue", ""))[:80] or None, "tag": clean_query(args.get("tag", ""))[:40],
            "from": args.get("from", "")[:10], "to": args.get("to", "")[:10],
            "offset": min(int(offset), 10_000) if offset.isdigit() else 0}


def run_search(f: dict[str, Any]) -> list[queries.Hit]:
    since, until = day_bounds(f["from"], f["to"])
    where = [visibility.call_clause(current_user)]
    if f["tag"]:
        where.append(Call.id.in_(select(CallTag.call_id).where(CallTag.tag == f["tag"].lower())))
    return queries.search(get_db(), f["q"], limit=PAGE, offset=f["offset"], since=since, until=until,
                          agent_id=f["agent"], queue=f["queue"], where=where)


@bp.route("/")
@roles_required(*REVIEWERS)
def search():  # type: ignore[no-untyped-def]
    db = get_db()
    f = search_args()
    hits = run_search(f) if f["q"] else []
    terms = f["q"].lower().split()[: queries.MAX_TERMS]
    tags: dict[int, list[str]] = {}
    for call_id, tag in db.execute(select(CallTag.call_id, CallTag.tag).where(
            CallTag.call_id.in_([h.call_id for h in hits])).order_by(CallTag.tag)):
        tags.setdefault(call_id, []).append(tag)
    return render_template(
        "qa/search.html", f=f, hits=hits, tags=tags, marked=lambda s: marked(s, terms),
        names=user_names({h.agent_id for h in hits}),
        agents=db.scalars(select(User).where(User.role == Role.AGENT).order_by(User.username)).all(),
        queues=db.scalars(select(Queue).order_by(Queue.name)).all(),
        all_tags=db.scalars(select(CallTag.tag).distinct().order_by(CallTag.tag)).all(), page=PAGE)


from . import rules, scoring  # noqa: E402,F401  (their views register on bp)
