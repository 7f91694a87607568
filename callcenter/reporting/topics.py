"""Top recurring issues: similar ticket subjects, form answers and transcripts grouped together.

Plain TF-IDF over words (``callcenter.text.words``: Chinese cut into dictionary
words by jieba, English words whole, stop words of both set aside), then
leader clustering by cosine similarity: small, fast, explainable, and good
enough to show a supervisor "what are people calling about this week" with
the words that define each group ("发票 · 金额", not the pairs "发票 · 票金 · 金额").

Only tickets the viewer may open are grouped (``recurring``): a label is made
of their subjects' words, so other tickets are only counted.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, not_, select
from sqlalchemy.orm import Session

from ..models import Ticket
from ..text import words as text
from .figures import ReportFilter


@dataclass
class Topic:
    label: str
    size: int
    examples: list[int] = field(default_factory=list)  # document ids
    terms: list[str] = field(default_factory=list)


def _vectors(docs: list[list[str]]) -> list[dict[str, float]]:
    df = Counter(t for d in docs for t in set(d))
    n = len(docs)
    vectors = []
    for d in docs:
        tf = Counter(d)
        v = {t: (c / len(d)) * math.log((1 + n) / (1 + df[t])) for t, c in tf.items()} if d else {}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({t: x / norm for t, x in v.items()})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(t, 0.0) for t, x in a.items())


def cluster(documents: list[tuple[int, str]], threshold: float = 0.15, top: int = 10) -> list[Topic]:
    """Group (id, text) documents; the largest groups first, each labelled by the words its members share most."""
    docs = [(i, text.words(body)) for i, body in documents]
    docs = [(i, t) for i, t in docs if t]
    vectors = _vectors([t for _, t in docs])
    groups: list[tuple[dict[str, float], list[int], Counter[str]]] = []
    for (doc_id, words), vec in zip(docs, vectors, strict=True):
        best, best_score = None, threshold
        for g in groups:
            score = _cosine(vec, g[0])
            if score >= best_score:
                best, best_score = g, score
        if best is None:
            groups.append((dict(vec), [doc_id], Counter(set(words))))
            continue
        centroid, members, counts = best
        for t, x in vec.items():  # running mean of the members' vectors
            centroid[t] = centroid.get(t, 0.0) + (x - centroid.get(t, 0.0)) / (len(members) + 1)
        members.append(doc_id)
        counts.update(set(words))
    topics = []
    for centroid, members, counts in sorted(groups, key=lambda g: -len(g[1]))[:top]:
        # The words most members share name the group; a rare word of one member does not.
        terms = sorted(centroid, key=lambda t: (-counts[t], -centroid[t]))[:4]
        topics.append(Topic(label=" · ".join(terms), size=len(members), examples=members[:5], terms=terms))
    return topics


@dataclass
class Recurring:
    topics: list[Topic]
    numbers: dict[int, str]  # ticket id -> number, for the examples
    restricted: int  # tickets of the period the viewer may not open: counted, never grouped


def recurring(session: Session, period: ReportFilter, visible: ColumnElement[bool], limit: int = 5000) -> Recurring:
    """Topics of ``period.tickets(...)`` among the tickets ``visible`` lets the viewer open."""
    tickets: Select[Any] = period.tickets(select(Ticket.id, Ticket.subject).where(visible))
    topics = cluster([(i, subject) for i, subject in session.execute(tickets.limit(limit)).tuples()])
    numbers = dict(session.execute(select(Ticket.id, Ticket.number).where(
        Ticket.id.in_([i for t in topics for i in t.examples]))).tuples().all())
    hidden = session.scalar(period.tickets(select(func.count()).select_from(Ticket).where(not_(visible)))) or 0
    return Recurring(topics, {i: n for i, n in numbers.items() if n}, int(hidden))
