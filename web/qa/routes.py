"""The QA workspace: one call's redacted audio beside its word-timed transcript, its reviews, and search.

Only the redacted QA copy of a recording is ever served here, only by call
id, and only to someone allowed to open that call (an agent: calls they
answered).  Each listen is audited once, like the recordings page.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import or_, select

from callcenter import days
from callcenter.access import accounts, roles, visibility
from callcenter.config import Settings
from callcenter.inputs import parsers
from callcenter.inputs.parsers import Args
from callcenter.models import Call, CallTag, QAReview, Queue, Role, Scorecard, User
from callcenter.qa import audio as qa_audio
from callcenter.qa import rules, scorecards
from callcenter.qa import search as transcripts

from ..auth.access import actor, refuse, roles_required, user
from ..db import get_db
from ..messages import refusal
from ..paging import Page, page_for
from ..query_args import note_ignored, page_args
from ..recordings.routes import audio_response, starts_a_listen

bp = Blueprint("qa", __name__, url_prefix="/qa")
LOW_CONFIDENCE = 0.6
PAGE = 50


def _settings() -> Settings:
    settings: Settings = current_app.extensions["container"].settings
    return settings


def visible_call(call_id: int) -> Call:
    """The call if this user may open its transcript (agents: calls they answered); else 404/403."""
    db = get_db()
    call = db.get(Call, call_id)
    if call is None:
        abort(404)
    if not visibility.can_open_call(db, user(), call_id):
        refuse("call", call_id, action="qa_call_denied")
    return call


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


def _workspace(call_id: int) -> str:
    db = get_db()
    call = visible_call(call_id)
    transcript = transcripts.transcript_for_call(db, call_id)
    status = transcripts.job_status(db, call_id)
    audio = None
    if transcript is not None:
        path = qa_audio.qa_audio_path(_settings(), transcript.qa_audio)
        audio = path if path is not None and path.is_file() else None
    reviews = db.scalars(select(QAReview).where(QAReview.call_id == call_id).order_by(QAReview.id.desc())).all()
    cards = {c.id: c for c in db.scalars(select(Scorecard).where(
        or_(Scorecard.id.in_({r.scorecard_id for r in reviews}), Scorecard.is_active)))}
    can_review = user().role in roles.REVIEWERS
    return render_template(
        "qa/workspace.html", call=call, transcript=transcript,
        lanes=_lanes(transcript.turns or []) if transcript else [],
        status=status[0] if status else None, error=status[1] if status else None,
        has_recording=any(r.purged_at is None for r in call.recordings), audio=audio,
        tags=db.scalars(select(CallTag).where(CallTag.call_id == call_id).order_by(CallTag.tag)).all(),
        reviews=reviews, cards=cards, can_review=can_review,
        active_cards=scorecards.active_cards(db) if can_review else [],
        pre_marks=rules.pre_marks(db, call_id) if can_review else {},
        names=accounts.display_names(db, {call.agent_id, *(r.reviewer_id for r in reviews)}))


@bp.route("/calls/<int:call_id>")
@roles_required(roles.EVERYONE)
def workspace(call_id: int) -> ResponseReturnValue:
    return _workspace(call_id)


@bp.route("/calls/<int:call_id>/audio")
@roles_required(roles.EVERYONE)
def audio(call_id: int) -> ResponseReturnValue:
    db = get_db()
    visible_call(call_id)
    transcript = transcripts.transcript_for_call(db, call_id)
    path = qa_audio.qa_audio_path(_settings(), transcript.qa_audio) if transcript else None
    if path is None or not path.is_file():
        abort(404)
    if starts_a_listen():
        qa_audio.played(db, actor(), call_id)
        db.commit()
    return audio_response(path, f"call-{call_id}-qa.wav")


@bp.route("/calls/<int:call_id>/reviews", methods=["POST"])
@roles_required(roles.REVIEWERS)
def review(call_id: int) -> ResponseReturnValue:
    db = get_db()
    call = visible_call(call_id)
    card_id = request.form.get("scorecard_id", "")
    try:
        card = db.get(Scorecard, parsers.ident(card_id, "scorecard_id"))
    except parsers.InvalidInput:
        card = None
    if card is None:
        flash(_("Choose a scorecard."), "error")
        return _workspace(call_id), 400
    answers = {item["key"]: {"result": request.form.get(f"result-{item['key']}", ""),
                             "comment": request.form.get(f"comment-{item['key']}", "")} for item in card.items}
    try:
        row = scorecards.review_call(db, call, card, answers, request.form.get("comment", ""), actor())
    except scorecards.ScorecardError as exc:
        db.rollback()
        flash(refusal(exc), "error")
        return _workspace(call_id), 400
    db.commit()
    flash(_("Review saved: score %(s)s.", s="—" if row.score is None else f"{row.score:g}"), "success")
    return redirect(url_for("qa.workspace", call_id=call_id) + "#reviews", 303)


def marked(snippet: str, terms: list[str]) -> tuple[str, list[tuple[str, bool]]]:
    """('caller', [(word, is_hit), ...]) from a snippet 'caller: ... words ...'."""
    speaker, _, rest = snippet.partition(": ")
    return speaker, [(w, any(t in w.lower() for t in terms)) for w in rest.split()]


def search_args() -> tuple[dict[str, Any], Args]:
    read = page_args()
    clean = transcripts.clean_query
    first, last = read.day("from"), read.day("to")
    found = {"q": clean(read.text("q", 4000)), "agent": read.ident("agent"),
             "queue": clean(read.text("queue", 80)) or None, "tag": clean(read.text("tag", 40)),
             "from": first.isoformat() if first else "", "to": last.isoformat() if last else ""}
    return found, read


def run_search(f: dict[str, Any], who: User, read: Args) -> tuple[list[transcripts.Hit], Page]:
    """One page of the hits the user may see (a page past the last shows the last)."""
    period = days.between(f["from"], f["to"], _settings().timezone)
    where = [visibility.call_clause(who)]
    if f["tag"]:
        where.append(Call.id.in_(select(CallTag.call_id).where(CallTag.tag == f["tag"].lower())))
    criteria: dict[str, Any] = {"since": period.start, "until": period.end, "agent_id": f["agent"],
                                "queue": f["queue"], "where": where}
    page = page_for(read, transcripts.count(get_db(), f["q"], **criteria), PAGE)
    return transcripts.search(get_db(), f["q"], limit=PAGE, offset=page.offset, **criteria), page


@bp.route("/")
@roles_required(roles.REVIEWERS)
def search() -> ResponseReturnValue:
    db = get_db()
    f, read = search_args()
    hits, page = run_search(f, user(), read) if f["q"] else ([], page_for(read, 0, PAGE))
    note_ignored(read)
    terms = f["q"].lower().split()[: transcripts.MAX_TERMS]
    return render_template(
        "qa/search.html", f=f, hits=hits, tags=transcripts.tags_of(db, [h.call_id for h in hits]),
        marked=lambda s: marked(s, terms), names=accounts.display_names(db, {h.agent_id for h in hits}),
        agents=db.scalars(select(User).where(User.role == Role.AGENT).order_by(User.username)).all(),
        queues=db.scalars(select(Queue).order_by(Queue.name)).all(),
        all_tags=db.scalars(select(CallTag.tag).distinct().order_by(CallTag.tag)).all(), page=page)
