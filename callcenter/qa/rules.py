"""Keyword rules: a phrase heard in a transcript tags the call and its tickets.

A rule's phrases are matched word by word (case-insensitive, punctuation
ignored) inside one speaker's turn, so "cancel my order" matches those three
words said in a row.  Applying rules is idempotent: a call has a tag once
(``ON CONFLICT DO NOTHING`` on (call, tag), safe when two processes race) and
a ticket's tag list never holds a tag twice.  The tagger (``tagger.py``)
applies the active rules when the transcriber publishes ``transcript_ready``;
the rules page re-applies them to every finished transcript as a background
job.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import db
from ..access import audit
from ..access.audit import Actor
from ..background.worker import Work
from ..db import transaction
from ..i18n import N_, Refusal, say_later
from ..models import Call, CallTag, KeywordRule, Ticket, Transcript, utcnow
from ..models.transcripts import TranscriptStatus
from ..tickets.service import TicketService
from ..transcribe.speakers import Turn

# The background job kind that re-applies every rule to every finished transcript.
REAPPLY = "reapply_rules"
# Tags from the rules are put on tickets by this actor.
RULES = Actor.system("keyword-rules")

# Bounds that keep matching cheap: every active rule's phrases are tried on every word of a transcript.
MAX_PHRASES = 20
MAX_PHRASE_WORDS = 8
MAX_PHRASE_CHARS = 100
MAX_ACTIVE_RULES = 100
MAX_HITS = 5
TAG = re.compile(r"^[\w-]{1,40}$")
PUNCT = re.compile(r"[^\w\s'-]+")


class RuleError(Refusal):
    """A rule the editor cannot accept (said in the reader's language by the web)."""


def words_of(text: str) -> list[str]:
    return PUNCT.sub(" ", text.lower()).split()


def clean_rule(name: str, phrases: list[str], tag: str, item: str | None, mark: str) -> dict[str, Any]:
    name, tag = name.strip(), tag.strip().lower()
    kept: list[str] = []
    for phrase in phrases:
        words = words_of(phrase)
        if len(words) > MAX_PHRASE_WORDS or len(" ".join(words)) > MAX_PHRASE_CHARS:
            raise RuleError(N_("A phrase is at most %(words)s words and %(chars)s characters."), field="phrases",
                            words=MAX_PHRASE_WORDS, chars=MAX_PHRASE_CHARS)
        if words and " ".join(words) not in kept:
            kept.append(" ".join(words))
    if not name or len(name) > 80:
        raise RuleError(N_("A name of 1-80 characters is needed."), field="name")
    if not kept or len(kept) > MAX_PHRASES:
        raise RuleError(N_("Give 1-%(n)s phrases, one a line."), field="phrases", n=MAX_PHRASES)
    if not TAG.match(tag):
        raise RuleError(N_("A tag is one word (letters, digits, - or _), at most 40 characters."), field="tag")
    if mark not in ("pass", "fail"):
        raise RuleError(N_("A pre-marked item is marked pass or fail."), field="mark")
    item = (item or "").strip().lower() or None
    return {"name": name, "phrases": kept, "tag": tag, "scorecard_item": item and item[:80], "mark": mark}


def find(turns: list[Turn], phrases: list[str]) -> list[dict[str, Any]]:
    """Where any phrase was said: [{"w", "start", "speaker"}] (first words of each match).

    Phrases are indexed by their first word, so each spoken word is compared
    only with the phrases that start with it.
    """
    hits = []
    starting: dict[str, list[list[str]]] = {}
    for phrase in phrases:
        words = phrase.split()
        if words:
            starting.setdefault(words[0], []).append(words)
    for turn in turns:
        said = [" ".join(words_of(w["w"])) for w in turn["words"]]
        for i, word in enumerate(said):
            for wanted in starting.get(word, ()):
                if said[i:i + len(wanted)] == wanted:
                    hits.append({"w": " ".join(wanted), "start": turn["words"][i]["start"],
                                 "speaker": turn["speaker"]})
    return sorted(hits, key=lambda h: h["start"])


def _check_room(session: Session) -> None:
    active = session.scalar(select(func.count()).select_from(KeywordRule).where(KeywordRule.is_active)) or 0
    if active >= MAX_ACTIVE_RULES:
        raise RuleError(N_("At most %(n)s rules can be active; switch one off first."), n=MAX_ACTIVE_RULES)


def add_rule(session: Session, actor: Actor, values: dict[str, Any]) -> KeywordRule:
    """Store a rule made by ``clean_rule``; RuleError if the active rules are at their bound."""
    _check_room(session)
    rule = KeywordRule(**values, created_by_id=actor.user_id)
    session.add(rule)
    session.flush()
    audit.record(session, "keyword_rule_added", actor, object_type="keyword_rule", object_id=rule.id, tag=rule.tag,
                 phrases=rule.phrases)
    return rule


def toggle_rule(session: Session, actor: Actor, rule_id: int) -> KeywordRule | None:
    rule = session.get(KeywordRule, rule_id)
    if rule is None:
        return None
    if not rule.is_active:
        _check_room(session)
    rule.is_active = not rule.is_active
    audit.record(session, "keyword_rule_changed", actor, object_type="keyword_rule", object_id=rule_id,
                 active=rule.is_active)
    return rule


def _insert_tag(session: Session, call_id: int, rule: KeywordRule, hits: list[dict[str, Any]]) -> bool:
    row = {"call_id": call_id, "tag": rule.tag, "rule_id": rule.id, "hits": hits[:MAX_HITS],
           "created_at": utcnow()}
    done = session.execute(db.insert(session, CallTag).values(**row)
                           .on_conflict_do_nothing(index_elements=["call_id", "tag"]).returning(CallTag.id))
    return done.scalar() is not None


def _tag_tickets(session: Session, tickets: TicketService, call: Call, tag: str, actor: Actor) -> None:
    for ticket in session.scalars(select(Ticket).where(or_(Ticket.origin_call_id == call.id,
                                                           Ticket.id == call.ticket_id))):
        tickets.tag(session, ticket, tag, actor, say_later(N_("keyword rule: %(tag)s"), tag=tag))


def active_rules(session: Session) -> list[KeywordRule]:
    return list(session.scalars(select(KeywordRule).where(KeywordRule.is_active).order_by(KeywordRule.id)))


def apply_to_call(session: Session, tickets: TicketService, call_id: int,
                  rules: list[KeywordRule] | None = None, actor: Actor = RULES) -> list[str]:
    """Tag the call (and its tickets) for every rule its finished transcript matches."""
    transcript = session.scalar(select(Transcript).where(Transcript.call_id == call_id,
                                                         Transcript.status == TranscriptStatus.DONE))
    call = session.get(Call, call_id)
    if transcript is None or call is None:
        return []
    added = []
    for rule in active_rules(session) if rules is None else rules:
        hits = find(transcript.turns or [], rule.phrases or [])
        if not hits:
            continue
        if _insert_tag(session, call_id, rule, hits):
            added.append(rule.tag)
        _tag_tickets(session, tickets, call, rule.tag, actor)
    return added


def reapply(work: Work, tickets: TicketService, batch: int = 200) -> dict[str, Any]:
    """Every finished transcript against the active rules, ``batch`` calls per short transaction.

    A background job (``callcenter.background``): the AMI writer and the IVR
    get the database between batches, and the page shows the progress.  Safe
    to run again after a crash: tags are added once.
    """
    with transaction(work.session_factory) as session:
        ids = list(session.scalars(select(Transcript.call_id).where(Transcript.status == TranscriptStatus.DONE)
                                   .order_by(Transcript.call_id)))
    added = 0
    work.progress(0, len(ids))
    for start in range(0, len(ids), batch):
        with transaction(work.session_factory) as session:
            rules, actor = active_rules(session), work.actor(session)
            for call_id in ids[start:start + batch]:
                added += len(apply_to_call(session, tickets, call_id, rules, actor))
        work.progress(min(start + batch, len(ids)), len(ids))
    with transaction(work.session_factory) as session:
        audit.record(session, "keyword_rules_applied", work.actor(session), object_type="keyword_rule",
                     tags_added=added, calls=len(ids))
    return {"tags_added": added, "calls": len(ids)}


def pre_marks(session: Session, call_id: int) -> dict[str, str]:
    """Scorecard item key -> "pass"/"fail" from the rules that tagged this call."""
    rows = session.execute(select(KeywordRule.scorecard_item, KeywordRule.mark)
                           .join(CallTag, CallTag.rule_id == KeywordRule.id)
                           .where(CallTag.call_id == call_id, KeywordRule.scorecard_item.is_not(None)))
    return {item: mark for item, mark in rows if item is not None}
