"""Keyword rules: a phrase heard in a transcript tags the call and its tickets.

A rule's phrases are matched word by word (case-insensitive, punctuation
ignored) inside one speaker's turn, so "cancel my order" matches those three
words said in a row.  Applying rules is idempotent: a call has a tag once
(``ON CONFLICT DO NOTHING`` on (call, tag), safe when two processes race) and
a ticket's tag list never holds a tag twice.  The tagger (``tagger.py``)
applies the active rules when the transcriber publishes ``transcript_ready``;
the rules page re-applies them to every finished transcript.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import db
from ..access import audit
from ..access.audit import Actor
from ..models import Call, CallTag, KeywordRule, Ticket, Transcript, utcnow
from ..models.transcripts import TranscriptStatus
from ..tickets.service import TicketService
from ..transcribe.speakers import Turn

# Tags from the rules are put on tickets by this actor.
RULES = Actor.system("keyword-rules")

MAX_PHRASES = 20
MAX_HITS = 5
TAG = re.compile(r"^[\w-]{1,40}$")
PUNCT = re.compile(r"[^\w\s'-]+")


class RuleError(ValueError):
    """A rule the editor cannot accept; the message is shown as it is."""


def words_of(text: str) -> list[str]:
    return PUNCT.sub(" ", text.lower()).split()


def clean_rule(name: str, phrases: list[str], tag: str, item: str | None, mark: str) -> dict[str, Any]:
    name, tag = name.strip(), tag.strip().lower()
    kept = []
    for phrase in phrases:
        words = words_of(phrase)
        if words and " ".join(words) not in kept:
            kept.append(" ".join(words)[:100])
    if not name or len(name) > 80:
        raise RuleError("a name of 1-80 characters is needed")
    if not kept or len(kept) > MAX_PHRASES:
        raise RuleError(f"give 1-{MAX_PHRASES} phrases, one a line")
    if not TAG.match(tag):
        raise RuleError("a tag is one word (letters, digits, - or _), at most 40 characters")
    if mark not in ("pass", "fail"):
        raise RuleError("a pre-marked item is marked pass or fail")
    item = (item or "").strip().lower() or None
    return {"name": name, "phrases": kept, "tag": tag, "scorecard_item": item and item[:80], "mark": mark}


def find(turns: list[Turn], phrases: list[str]) -> list[dict[str, Any]]:
    """Where any phrase was said: [{"w", "start", "speaker"}] (first words of each match)."""
    hits = []
    wanted = [p.split() for p in phrases]
    for turn in turns:
        said = [" ".join(words_of(w["w"])) for w in turn["words"]]
        for i in range(len(said)):
            for phrase in wanted:
                if said[i:i + len(phrase)] == phrase:
                    hits.append({"w": " ".join(phrase), "start": turn["words"][i]["start"],
                                 "speaker": turn["speaker"]})
    return sorted(hits, key=lambda h: h["start"])


def add_rule(session: Session, actor: Actor, values: dict[str, Any]) -> KeywordRule:
    """Store a rule made by ``clean_rule``."""
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
        tickets.tag(session, ticket, tag, actor, f"keyword rule: {tag}")


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


def reapply_all(session: Session, tickets: TicketService, actor: Actor,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Every finished transcript against the active rules (audited); returns the number of new call tags."""
    rules = active_rules(session)
    ids = list(session.scalars(select(Transcript.call_id).where(Transcript.status == TranscriptStatus.DONE)
                               .order_by(Transcript.call_id)))
    added = 0
    for n, call_id in enumerate(ids, 1):
        added += len(apply_to_call(session, tickets, call_id, rules, actor))
        if progress:
            progress(n, len(ids))
    audit.record(session, "keyword_rules_applied", actor, object_type="keyword_rule", tags_added=added)
    return added


def pre_marks(session: Session, call_id: int) -> dict[str, str]:
    """Scorecard item key -> "pass"/"fail" from the rules that tagged this call."""
    rows = session.execute(select(KeywordRule.scorecard_item, KeywordRule.mark)
                           .join(CallTag, CallTag.rule_id == KeywordRule.id)
                           .where(CallTag.call_id == call_id, KeywordRule.scorecard_item.is_not(None)))
    return {item: mark for item, mark in rows if item is not None}
