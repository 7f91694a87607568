"""Every process's in-memory ranking of the published articles, rebuilt when any process changes one.

A document is one language version of one published article: its stored
words (``ArticleVersion.search_words``, cut once when it was saved) go to
bm25s, which keeps each word's BM25 contributions as one sparse column.
A query adds up its words' columns itself, rather than asking bm25s for
the top k, so it also knows which words each article matched (shown to the
agent as "why") and how much of the query's weight they carry (a feature
of the calibrated score); then the best version of each article wins.

The ranking lives in memory because it is read on every keystroke at the
desk; the database stays the truth.  ``KnowledgeState`` counts changes:
a process looks at it at most every ``refresh_seconds`` and rebuilds when
it moved.  A small index is rebuilt at once; a large one in a thread while
the old one keeps answering.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import bm25s
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..models import Article, ArticleStatus, ArticleVersion, DictionaryWord, KnowledgeCategory, KnowledgeState
from ..text import words as text_words
from ..text.search import index_words
from .settings import KnowledgeSettings

log = logging.getLogger(__name__)
K1, B = 1.2, 0.75


@dataclass(frozen=True)
class Doc:
    article_id: int
    locale: str
    category: str
    product: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Ranked:
    """One article for one query: its raw score, the words it matched and the features calibration reads."""

    article_id: int
    locale: str
    category: str
    score: float
    matched: tuple[str, ...]
    # idf-weighted share of the query's words it matched, score over the query's best possible score,
    # and how far it stands from the best other article (see ``margin``).
    coverage: float
    strength: float
    margin: float

    @property
    def features(self) -> list[float]:
        return [round(self.coverage, 6), round(self.strength, 6), round(self.margin, 6)]


def margin(score: float, best_other: float, best_possible: float) -> float:
    """How clearly an article wins or loses, in the units of ``strength``: the first one's lead over the
    second (0 is a tie: a question two articles answer alike), the others' gap to the first (< 0).  Over
    the query's best possible score, not over the winner's, so that a weak match that happens to be the
    only one is not a clear winner."""
    return max(min((score - best_other) / best_possible, 1.0), -1.0)


def document(title: str, asked: Iterable[str], short: str, body: str) -> str:
    """A version's stored words: the title and the approved questions count twice (they say what the
    article answers, in the customers' own words), the short answer and the body once."""
    asked = list(asked)
    return index_words(title, title, *asked, *asked, short, body)


@dataclass
class Built:
    """One immutable index: swapped whole, never changed."""

    version: tuple[int, int]
    docs: list[Doc]
    retriever: bm25s.BM25 | None
    df: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    _in_category: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.docs)

    def in_category(self, category: str) -> np.ndarray:
        """Which documents are of ``category`` (one array per category, made on first use and kept)."""
        found = self._in_category.get(category)
        if found is None:
            found = self._in_category[category] = np.fromiter(
                (doc.category == category for doc in self.docs), dtype=bool, count=len(self.docs))
        return found

    def idf(self, word: str) -> float:
        """Lucene's BM25 idf; a word no article holds weighs as much as the rarest (it counts against coverage)."""
        n = max(len(self.docs), 1)
        return math.log(1 + (n - self.df.get(word, 0) + 0.5) / (self.df.get(word, 0) + 0.5))


def build(rows: Iterable[tuple[Doc, str]], version: tuple[int, int] = (0, 0)) -> Built:
    """An index over ``(doc, stored words)`` pairs."""
    started = time.perf_counter()
    docs, corpus = [], []
    for doc, stored in rows:
        docs.append(doc)
        corpus.append(stored.split())
    retriever, df = None, {}
    if docs:
        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        retriever.index(corpus, show_progress=False)
        # A word's documents are its column's entries (a word a document holds always scores > 0): counting
        # them here is a fifth of the build saved over counting every document's words again.
        held = np.diff(retriever.scores["indptr"])
        df = {word: int(held[column]) for word, column in retriever.vocab_dict.items()
              if column < held.size and held[column]}
    return Built(version, docs, retriever, df, time.perf_counter() - started)


def rank(built: Built, query: list[str], *, k: int = 3, category: str | None = None,
         tags: Iterable[str] = (), product: str | None = None, strict_category: bool = False) -> list[Ranked]:
    """The ``k`` best articles for ``query`` (words from ``text.words.terms``), best first.

    ``category`` lifts its articles a little (a caller's IVR choice is a hint,
    not a wall) unless ``strict_category``; ``tags`` and ``product`` filter.
    """
    if built.retriever is None or not query:
        return []
    weights = Counter(query)
    vocab = built.retriever.vocab_dict
    csc = built.retriever.scores
    data, indices, indptr = csc["data"], csc["indices"], csc["indptr"]
    scores = np.zeros(built.size, dtype=np.float32)
    postings: dict[str, np.ndarray] = {}
    for word, times in weights.items():
        column = vocab.get(word)
        if column is None:
            continue
        lo, hi = indptr[column], indptr[column + 1]
        postings[word] = indices[lo:hi]
        scores[indices[lo:hi]] += data[lo:hi] * times
    candidates = np.flatnonzero(scores)
    if candidates.size == 0:
        return []
    wanted_tags = {t.casefold() for t in tags}
    if wanted_tags or product or (category and strict_category):
        keep = [i for i in candidates if _passes(built.docs[i], wanted_tags, product, category if strict_category
                                                 else None)]
        candidates = np.asarray(keep, dtype=np.int64)
        if candidates.size == 0:
            return []
    ordered = scores[candidates].astype(np.float64)
    if category and not strict_category:
        ordered = ordered * np.where(built.in_category(category)[candidates], 1.1, 1.0)
    take = min(candidates.size, max(k * 4, k + 8))  # enough to leave k distinct articles after merging versions
    top = np.argpartition(-ordered, take - 1)[:take] if candidates.size > take else np.arange(candidates.size)
    top = top[np.argsort(-ordered[top], kind="stable")]
    # Lucene's BM25 gives a word at most its idf (bm25s's "lucene" method has no (k1 + 1) factor).
    total_idf = sum(built.idf(w) * n for w, n in weights.items()) or 1.0
    leaders = _two_best(built, candidates, scores[candidates])
    found: list[Ranked] = []
    seen: set[int] = set()
    for position in top:
        doc_index = int(candidates[position])
        doc = built.docs[doc_index]
        if doc.article_id in seen:
            continue
        seen.add(doc.article_id)
        matched = tuple(w for w, ids in postings.items() if _holds(ids, doc_index))
        raw = float(scores[doc_index])
        other = next((score for article_id, score in leaders if article_id != doc.article_id), 0.0)
        found.append(Ranked(doc.article_id, doc.locale, doc.category, raw, matched,
                            coverage=sum(built.idf(w) * weights[w] for w in matched) / total_idf,
                            strength=min(raw / total_idf, 1.0), margin=margin(raw, other, total_idf)))
        if len(found) == k:
            break
    return found


def _two_best(built: Built, candidates: np.ndarray, raw: np.ndarray) -> list[tuple[int, float]]:
    """The two best articles by raw score, (article id, score) each: an article has a version per language,
    so the three best versions hold two articles whenever two match."""
    take = min(raw.size, 3)
    best = np.argpartition(-raw, take - 1)[:take] if raw.size > take else np.arange(raw.size)
    leaders: list[tuple[int, float]] = []
    for position in best[np.argsort(-raw[best], kind="stable")]:
        article_id = built.docs[int(candidates[position])].article_id
        if all(article_id != a for a, _ in leaders):
            leaders.append((article_id, float(raw[position])))
    return leaders[:2]


def _holds(ids: np.ndarray, doc_index: int) -> bool:
    position = int(np.searchsorted(ids, doc_index))
    return position < ids.size and int(ids[position]) == doc_index


def _passes(doc: Doc, tags: set[str], product: str | None, category: str | None) -> bool:
    return ((not tags or tags <= set(doc.tags)) and (not product or doc.product == product)
            and (not category or doc.category == category))


def published(session: Session) -> list[tuple[Doc, str]]:
    """Every published article's versions with their stored words, in a stable order."""
    rows = session.execute(
        select(ArticleVersion.article_id, ArticleVersion.locale, ArticleVersion.search_words, KnowledgeCategory.key,
               Article.product, Article.tags)
        .join(Article, Article.id == ArticleVersion.article_id)
        .outerjoin(KnowledgeCategory, KnowledgeCategory.id == Article.category_id)
        .where(Article.status == ArticleStatus.PUBLISHED).order_by(ArticleVersion.article_id, ArticleVersion.locale))
    return [(Doc(r.article_id, r.locale, r.key or "", r.product or "", tuple(r.tags or ())), r.search_words)
            for r in rows]


class KnowledgeIndex:
    """This process's index, kept in step with the database (see the module's docstring)."""

    def __init__(self, session_factory: sessionmaker[Session], settings: KnowledgeSettings) -> None:
        self.session_factory, self.settings = session_factory, settings
        self._built: Built | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._building: threading.Thread | None = None

    def current(self) -> Built:
        """The index to query now (built on first use, refreshed when another process changed articles)."""
        built = self._built
        now = time.monotonic()
        if built is not None and now - self._checked < self.settings.refresh_seconds:
            return built
        with self._lock:
            self._checked = now
            with self.session_factory() as session:
                state = session.get(KnowledgeState, 1)
                version = (state.articles, state.dictionary) if state is not None else (0, 0)
                if self._built is not None and self._built.version == version:
                    return self._built
                if self._built is None or self._built.version[1] != version[1]:
                    text_words.teach(session.scalars(select(DictionaryWord.word)))
                if self._built is not None and self._built.size > self.settings.rebuild_in_background_over:
                    answering = self._built  # (the rebuild may finish before this returns: this call keeps the old)
                    self._rebuild_later(version)
                    return answering
                self._built = build(published(session), version)
            return self._built

    def refresh(self) -> Built:
        """Look at the database now (after this process changed something)."""
        self._checked = 0.0
        return self.current()

    def _rebuild_later(self, version: tuple[int, int]) -> None:
        if self._building is not None and self._building.is_alive():
            return

        def work() -> None:
            try:
                with self.session_factory() as session:
                    fresh = build(published(session), version)
                self._built = fresh
                log.info("knowledge index rebuilt: %d versions in %.1f s", fresh.size, fresh.seconds)
            except Exception:  # the old index keeps answering; the next check tries again
                log.exception("knowledge index rebuild failed")
                self._checked = 0.0

        self._building = threading.Thread(target=work, name="knowledge-index", daemon=True)
        self._building.start()
