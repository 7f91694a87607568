"""Keyword rules: a phrase heard in a transcript tags the call and its tickets.

A rule's phrases are matched word by word (case-insensitive, punctuation
ignored) inside one speaker's turn, so "cancel my order" matches those three
words said in a row.  Applying rules is idempotent: a call has a tag once
(``ON CONFLICT DO NOTHING`` on (call, tag), safe when two processes race) and
a ticket's tag list never holds a tag twice.  ``KeywordTagger`` applies the
active rules when the transcriber publishes ``transcript_ready``; the rules
page re-applies them to every finished transcript.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from ..bus import Bus, Event
from ..db import transaction
from ..models import Call, CallTag, KeywordRule, Ticket, TicketChange, Transcript, User, utcnow
from ..models.transcripts import TranscriptStatus
from ..services import Service
from .speakers import Turn

log = logging.getLogger(__name__)

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


def _insert_tag(session: Session, call_id: int, rule: KeywordRule, hits: list[dict[str, Any]]) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    row = {"call_id": call_id, "tag": rule.tag, "rule_id": rule.id, "hits": hits[:MAX_HITS],
           "created_at": utcnow()}
    done = session.execute(insert(CallTag).values(**row)
                           .on_conflict_do_nothing(index_elements=["call_id", "tag"]).returning(CallTag.id))
    return done.scalar() is not None


def _tag_tickets(session: Session, call: Call, tag: str, actor: User | None) -> None:
    tickets = session.scalars(select(Ticket).where(or_(Ticket.origin_call_id == call.id,
                                                       Ticket.id == call.ticket_id)))
    for ticket in tickets:
        if tag in (ticket.tags or []):
            continue
        old = list(ticket.tags or [])
        ticket.tags = [*old, tag]  # a new list: JSON columns do not see in-place changes
        session.add(TicketChange(ticket_id=ticket.id, actor_id=actor.id if actor else None, field="tags",
                                 old_value=", ".join(old), new_value=", ".join(ticket.tags),
                                 reason=f"keyword rule: {tag}"))


def active_rules(session: Session) -> list[KeywordRule]:
    return list(session.scalars(select(KeywordRule).where(KeywordRule.is_active).order_by(KeywordRule.id)))


def apply_to_call(session: Session, call_id: int, rules: list[KeywordRule] | None = None,
                  actor: User | None = None) -> list[str]:
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
        _tag_tickets(session, call, rule.tag, actor)
    return added


def reapply_all(session: Session, actor: User | None = None,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Every finished transcript against the active rules; returns the number of new call tags."""
    rules = active_rules(session)
    ids = list(session.scalars(select(Transcript.call_id).where(Transcript.status == TranscriptStatus.DONE)
                               .order_by(Transcript.call_id)))
    added = 0
    for n, call_id in enumerate(ids, 1):
        added += len(apply_to_call(session, call_id, rules, actor))
        if progress:
            progress(n, len(ids))
    return added


def pre_marks(session: Session, call_id: int) -> dict[str, str]:
    """Scorecard item key -> "pass"/"fail" from the rules that tagged this call."""
    rows = session.execute(select(KeywordRule.scorecard_item, KeywordRule.mark)
                           .join(CallTag, CallTag.rule_id == KeywordRule.id)
                           .where(CallTag.call_id == call_id, KeywordRule.scorecard_item.is_not(None)))
    return {item: mark for item, mark in rows}


class KeywordTagger(Service):
    """Tags calls when their transcript is ready; its work runs on the bus's dispatch thread."""

    name = "tagger"

    def __init__(self, session_factory: sessionmaker[Session], bus: Bus):
        self.session_factory = session_factory
        self.bus = bus
        self._unsubscribe: list[Callable[[], None]] = []

    def subscriptions(self) -> dict[str, Callable[[Event], None]]:
        return {"transcript_ready": self.on_transcript_ready}

    def on_transcript_ready(self, ev: Event) -> None:
        call_id = ev.payload.get("call_id")
        if not isinstance(call_id, int):
            log.warning("transcript_ready without an integer call_id: %r", ev.payload)
            return
        try:
            with transaction(self.session_factory) as session:
                tags = apply_to_call(session, call_id)
        except Exception:  # noqa: BLE001 - one bad transcript must not stop tagging
            log.exception("keyword rules failed on call %s", call_id)
            return
        if tags:
            log.info("call %s tagged: %s", call_id, ", ".join(tags))

    def start(self) -> None:
        self._unsubscribe = [self.bus.subscribe(name, handler) for name, handler in self.subscriptions().items()]

    def stop(self, timeout: float = 10.0) -> None:
        for undo in self._unsubscribe:
            undo()
        self._unsubscribe = []

    def alive(self) -> bool:
        return bool(self._unsubscribe)
