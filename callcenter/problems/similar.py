"""The open tickets most like this one: one problem's other callers, for linking to it.

When an outage hits, callers describe one fault many ways ("快递三天没动",
"包裹卡在中转站", "物流不更新").  Words are cut once when a ticket is saved
(``Ticket.search_words``, a transcript's ``caller_words``); here they are
folded through the trade's synonyms and compared as TF-IDF vectors over a
pool of the newest open tickets (same category first).  One ticket's few
words rarely share enough with every other's, so the query is widened once
by its closest matches (pseudo-relevance feedback, Rocchio's method) and
compared again: the words callers of one fault use spread through the
group, and an unrelated ticket in the same category still shares little.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ..models import OPEN_STATUSES, Ticket, Transcript, TranscriptStatus, utcnow
from ..text import synonyms
from ..text.search import index_words
from .settings import ProblemSettings
from .window import Row as _Row
from .window import Window

FEEDBACK = 8  # closest matches whose words widen the query
FEEDBACK_SHARED = 2  # words a match must share to widen the query (one shared word drifts it away)
ASKED_WEIGHT = 0.3  # the ticket's own words, beside its closest matches' (Rocchio's alpha; theirs count 1)
OTHER_CATEGORY = 0.8  # a ticket of another category counts for this much of its likeness
SAME_SHARE = 0.75  # of the pool, the newest tickets of the same category; the rest any category
SHOWN_WORDS = 6

Vector = dict[str, float]


@dataclass(frozen=True)
class Alike:
    """An open ticket like the one asked about, and why: the words they share."""

    ticket_id: int
    number: str
    subject: str
    category: str
    status: str
    created_at: dt.datetime
    score: float
    shared: tuple[str, ...]
    problem_id: int | None = None  # the problem it is an incident of


class SimilarTickets:
    def __init__(self, settings: ProblemSettings) -> None:
        self.settings = settings
        self.window = Window()  # the window's open tickets, kept up to date (window.py)
        self._pools: tuple[tuple[int, int], dict[str | None, Pool]] = ((-1, 0), {})

    def for_ticket(self, session: Session, ticket: Ticket,
                   visible: ColumnElement[bool] | None = None) -> list[Alike]:
        """Open tickets like ``ticket`` (its subject, description and what its caller said), best first."""
        said = ""
        if ticket.origin_call_id is not None:
            said = session.scalar(select(Transcript.caller_words).where(
                Transcript.call_id == ticket.origin_call_id, Transcript.status == TranscriptStatus.DONE)) or ""
        found = (ticket.search_words or index_words(ticket.subject, ticket.description)).split() + said.split()
        return self.alike(session, found, category=ticket.category, exclude=ticket.id, visible=visible)

    def for_text(self, session: Session, text: str, *, category: str | None = None, cut: Sequence[str] = (),
                 visible: ColumnElement[bool] | None = None) -> list[Alike]:
        """Open tickets like a ticket not saved yet: the intake form's words, and the call's if known."""
        return self.alike(session, index_words(text).split() + list(cut), category=category, visible=visible)

    def alike(self, session: Session, found: Sequence[str], *, category: str | None, exclude: int | None = None,
              visible: ColumnElement[bool] | None = None, now: dt.datetime | None = None) -> list[Alike]:
        asked = frozenset(synonyms.fold(found))
        if not asked:
            return []
        since = (now or utcnow()) - dt.timedelta(days=self.settings.similar_days)
        version, rows = self.window.held(session, since)
        held = (version, len(rows))  # ``since`` only moves on: the same version and length, the same rows
        pools = self._pools if self._pools[0] == held else (held, {})
        pool = pools[1].get(category)
        if pool is None:
            pool = pools[1][category] = Pool(self._newest(rows, category))
        self._pools = pools  # one per category, until the window moves
        ranked = rank(asked, pool, category, self.settings.similar_threshold, self.settings.similar_limit,
                      exclude)
        if not ranked:
            return ranked
        # The window is this process's copy: the database says which still exist and are the viewer's.
        check = select(Ticket.id).where(Ticket.id.in_([a.ticket_id for a in ranked]))
        kept = set(session.scalars(check.where(visible) if visible is not None else check))
        return [a for a in ranked if a.ticket_id in kept]

    def _newest(self, rows: list[_Row], category: str | None) -> list[_Row]:
        """The pool from the window, as ``_pool`` reads it: the same category's newest first, then any other's."""
        size = self.settings.similar_pool
        rows = sorted(rows, key=lambda r: (r.created_at, r.ticket_id), reverse=True)
        if not category:
            return rows[:size]
        same = [r for r in rows if r.category == category][:int(size * SAME_SHARE)]
        return same + [r for r in rows if r.category != category][:size - len(same)]

    def _pool(self, session: Session, since: dt.datetime, category: str | None, exclude: int | None,
              visible: ColumnElement[bool] | None) -> list[_Row]:
        """The newest open tickets of the window read from the database: the same category's first, then any
        other's (what ``_newest`` takes from the kept window; the benchmark's baseline reads it so)."""
        query = (select(Ticket.id, Ticket.number, Ticket.subject, Ticket.category, Ticket.status, Ticket.created_at,
                        Ticket.problem_id, Ticket.search_words, Transcript.caller_words)
                 .outerjoin(Transcript, (Transcript.call_id == Ticket.origin_call_id)
                            & (Transcript.status == TranscriptStatus.DONE))
                 .where(Ticket.status.in_(OPEN_STATUSES), Ticket.created_at >= since))
        if exclude is not None:
            query = query.where(Ticket.id != exclude)
        if visible is not None:
            query = query.where(visible)
        size = self.settings.similar_pool
        # Newest by creation time, not id: the planner then reads the window through an index of status and
        # creation time; by id it walked every ticket backwards for the other categories' share.
        newest = (Ticket.created_at.desc(), Ticket.id.desc())
        parts = []
        if category:
            parts.append(query.where(Ticket.category == category).order_by(*newest).limit(int(size * SAME_SHARE)))
            query = query.where(Ticket.category != category)
        rows = [r for part in parts for r in session.execute(part)]
        rows += session.execute(query.order_by(*newest).limit(size - len(rows))).all()
        return [_Row(r.id, r.number or "", r.subject, r.category, r.status.value, r.created_at,
                     frozenset(synonyms.fold(f"{r.search_words} {r.caller_words or ''}".split())), r.problem_id)
                for r in rows]


class Pool:
    """The rows a lookup compares against, with what does not depend on the query worked out once: each word's
    inverse document frequency, which rows hold it, and (as asked for) each row's vector."""

    def __init__(self, rows: Sequence[_Row]) -> None:
        self.rows = list(rows)
        df = Counter(w for row in self.rows for w in row.words)
        self.unseen = math.log(len(self.rows) + 1) + 1.0  # a query word no row holds (smoothed, as scikit-learn)
        self.idf = {w: math.log((len(self.rows) + 1) / (n + 1)) + 1.0 for w, n in df.items()}
        self.holding: dict[str, list[int]] = {}
        for i, row in enumerate(self.rows):
            for w in row.words:
                self.holding.setdefault(w, []).append(i)
        self._vectors: dict[int, Vector] = {}

    def vector(self, i: int) -> Vector:
        found = self._vectors.get(i)
        if found is None:
            found = self._vectors[i] = _normal({w: self.idf[w] for w in self.rows[i].words})
        return found

    def query(self, words: Iterable[str]) -> Vector:
        return _normal({w: self.idf.get(w, self.unseen) for w in words})

    def sharing(self, words: Iterable[str]) -> set[int]:
        """The rows holding any of ``words``: the only ones that can score above zero."""
        return {i for w in words for i in self.holding.get(w, ())}


def rank(asked: frozenset[str], pool: Pool, category: str | None, threshold: float, limit: int,
         exclude: int | None = None) -> list[Alike]:
    """The pool's rows at least ``threshold`` alike, best first (see the module's docstring)."""
    rows = pool.rows
    query = pool.query(asked)
    first = {i: _cosine(query, pool.vector(i)) for i in pool.sharing(asked) if rows[i].ticket_id != exclude}
    closest = sorted((i for i, s in first.items()
                      if s >= threshold and len(asked & rows[i].words) >= FEEDBACK_SHARED),
                     key=lambda i: (-first[i], i))[:FEEDBACK]
    if closest:
        widened = {w: ASKED_WEIGHT * x for w, x in query.items()}
        for i in closest:
            for word, weight in pool.vector(i).items():
                widened[word] = widened.get(word, 0.0) + weight / len(closest)
        query = _normal(widened)
    found = []
    for i in pool.sharing(query):
        row = rows[i]
        if row.ticket_id == exclude:
            continue
        score = _cosine(query, pool.vector(i)) * (1.0 if not category or row.category == category else OTHER_CATEGORY)
        if score >= threshold:
            found.append((score, row))
    found.sort(key=lambda pair: (-pair[0], -pair[1].ticket_id))
    return [Alike(row.ticket_id, row.number, row.subject, row.category, row.status, row.created_at,
                  round(score, 4), _shared(asked, row.words, pool), row.problem_id) for score, row in found[:limit]]


def _normal(vector: Vector) -> Vector:
    size = math.sqrt(sum(x * x for x in vector.values())) or 1.0
    return {w: x / size for w, x in vector.items()}


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(w, 0.0) for w, x in a.items())


def _shared(asked: frozenset[str], found: frozenset[str], pool: Pool) -> tuple[str, ...]:
    """The words both hold, most telling first: what the page shows as the reason."""
    return tuple(sorted(asked & found, key=lambda w: (-pool.idf.get(w, pool.unseen), w))[:SHOWN_WORDS])
