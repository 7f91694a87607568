"""The raw score made a probability: "this article answers this question", learnt from labelled pairs.

No raw BM25 score means "75 %": it grows with the query's length and the
words' rarity.  Three features that do not (``index.Ranked``: the share of
the query's weight matched, the score over the query's best possible one,
and the lead over the best article) go through a logistic regression
(Platt scaling) fitted on labelled (question, article) pairs:

* the seed, which the knowledge base gives itself: for a sample of
  articles one approved question variant is held out of the index and
  asked (its article is right, the others shown are wrong); for another
  sample the whole article is left out and its questions asked (everything
  shown is wrong: the questions the base cannot answer);
* every suggestion an agent marked helpful or not, and every auto-reply a
  customer accepted or rejected.

The fit keeps its reliability curve and, for each threshold, the precision
and coverage of the top suggestion on the same data (the admin's chart).
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import Article, ArticleStatus, Calibration, QuestionVariant, Suggestion, VariantStatus
from ..text import words
from ..text.search import index_words
from .articles import KnowledgeError
from .index import Built, Doc, build, published, rank

SHOWN = 5  # suggestions per seed question that become labelled pairs
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


@dataclass(frozen=True)
class Model:
    coefficients: tuple[float, ...]
    intercept: float
    fitted: bool = True

    def probability(self, features: Sequence[float]) -> float:
        z = self.intercept + sum(c * f for c, f in zip(self.coefficients, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


# Before the first fit: a cautious guess (every feature must be high for a high probability); auto-reply
# never acts on it (``fitted`` is False), the desk shows it as "not calibrated yet".
PRIOR = Model((3.0, 3.0, 1.0), -5.0, fitted=False)


@dataclass(frozen=True)
class Pair:
    """One labelled (question, article) pair: its features, whether it answered, and its rank."""

    features: tuple[float, ...]
    right: bool
    rank: int
    question: int  # pairs of one question share this number
    source: str


def model_of(row: Calibration | None) -> Model:
    if row is None or not row.coefficients:
        return PRIOR
    return Model(tuple(float(c) for c in row.coefficients), float(row.intercept))


def latest(session: Session) -> Calibration | None:
    return session.scalar(select(Calibration).order_by(Calibration.id.desc()).limit(1))


# -- the labelled pairs -------------------------------------------------------------------------------
def seed_pairs(session: Session, sample: int = 400, rng: random.Random | None = None) -> list[Pair]:
    """Held-out questions asked of an index that lacks them (see the module's docstring)."""
    rng = rng or random.Random(17)
    rows = published(session)
    variants: dict[tuple[int, str], list[QuestionVariant]] = {}
    for v in session.scalars(select(QuestionVariant).join(Article).where(
            Article.status == ArticleStatus.PUBLISHED, QuestionVariant.status == VariantStatus.APPROVED)
            .order_by(QuestionVariant.id)):
        variants.setdefault((v.article_id, v.locale), []).append(v)
    askable = sorted(key for key, found in variants.items() if len(found) >= 2)
    rng.shuffle(askable)
    held_out = askable[:sample]
    articles = sorted({a for a, _ in variants} - {a for a, _ in held_out})
    rng.shuffle(articles)
    left_out = set(articles[:max(1, sample // 4)]) if len(articles) > 3 else set()
    asked: list[tuple[str, int | None]] = []
    recut: dict[tuple[int, str], str] = {}
    for article_id, locale in held_out:
        question = rng.choice(variants[(article_id, locale)])
        asked.append((question.text, article_id))
        recut[(article_id, locale)] = _words_without(session, article_id, locale, question.id)
    for article_id in left_out:
        asked += [(v.text, None) for (a, _), found in variants.items() if a == article_id for v in found[:2]]
    index = build([(doc, recut.get((doc.article_id, doc.locale), stored)) for doc, stored in rows
                   if doc.article_id not in left_out])
    return pairs_for(index, asked, "seed")


def _words_without(session: Session, article_id: int, locale: str, variant_id: int) -> str:
    article = session.get(Article, article_id)
    assert article is not None
    version = next(v for v in article.versions if v.locale == locale)
    asked = [v.text for v in article.variants if v.locale == locale and v.status is VariantStatus.APPROVED
             and v.id != variant_id]
    return index_words(version.title, version.title, *asked, *asked, version.short, version.body)


def pairs_for(index: Built, asked: Sequence[tuple[str, int | None]], source: str) -> list[Pair]:
    """Each question's top suggestions labelled by whether they are its right article."""
    found = []
    for number, (question, right) in enumerate(asked):
        for position, hit in enumerate(rank(index, words.terms(question), k=SHOWN), start=1):
            found.append(Pair(tuple(hit.features), hit.article_id == right, position, number, source))
    return found


def agent_pairs(session: Session, limit: int = 20_000) -> list[Pair]:
    """Suggestions an agent marked helpful or not (auto-replies the customer answered are marked too)."""
    rows = session.execute(select(Suggestion.id, Suggestion.features, Suggestion.helpful, Suggestion.rank)
                           .where(Suggestion.helpful.is_not(None)).order_by(Suggestion.id.desc()).limit(limit))
    return [Pair(tuple(float(f) for f in r.features), bool(r.helpful), r.rank, -r.id, "agents")
            for r in rows if r.features]


# -- fitting ------------------------------------------------------------------------------------------
def fit(pairs: Sequence[Pair]) -> tuple[Model, list[list[float]], list[list[float]]]:
    """The model, its reliability curve and its threshold table (precision and coverage of the top one)."""
    labels = [p.right for p in pairs]
    if len(set(labels)) < 2:
        raise KnowledgeError(N_("Calibration needs both right and wrong answers: publish more articles with two or "
                                "more questions each, or mark more suggestions."), code="too_few_labels")
    x = np.asarray([p.features for p in pairs], dtype=np.float64)
    y = np.asarray(labels, dtype=np.int8)
    regression = LogisticRegression(C=10.0, max_iter=1000)
    regression.fit(x, y)
    model = Model(tuple(float(c) for c in regression.coef_[0]), float(regression.intercept_[0]))
    return model, curve(pairs, model), table(pairs, model)


def curve(pairs: Sequence[Pair], model: Model, bins: int = 10) -> list[list[float]]:
    """The reliability curve: per tenth of predicted probability, its mean, the share right, and how many."""
    sums: list[list[float]] = [[0.0, 0.0, 0.0] for _ in range(bins)]
    for p in pairs:
        predicted = model.probability(p.features)
        cell = sums[min(int(predicted * bins), bins - 1)]
        cell[0] += predicted
        cell[1] += p.right
        cell[2] += 1
    return [[round(a / n, 4), round(r / n, 4), int(n)] for a, r, n in sums if n]


def table(pairs: Sequence[Pair], model: Model) -> list[list[float]]:
    """[[threshold, precision, coverage], ...] for the top suggestion of each question."""
    tops = [p for p in pairs if p.rank == 1]
    questions = len({p.question for p in pairs}) or 1
    rows = []
    for threshold in THRESHOLDS:
        above = [p for p in tops if model.probability(p.features) >= threshold]
        right = sum(p.right for p in above)
        rows.append([threshold, round(right / len(above), 4) if above else 1.0, round(len(above) / questions, 4)])
    return rows


def calibrate(session: Session, *, sample: int = 400) -> Calibration:
    """Fit on the seed and the agents' labels, and store the result (the newest one is used)."""
    pairs = seed_pairs(session, sample) + agent_pairs(session)
    model, curve, rows = fit(pairs)
    sources: dict[str, int] = {}
    for p in pairs:
        sources[p.source] = sources.get(p.source, 0) + 1
    row = Calibration(coefficients=list(model.coefficients), intercept=model.intercept,
                      positives=sum(p.right for p in pairs), negatives=sum(not p.right for p in pairs),
                      sources=sources, curve=curve, table=rows)
    session.add(row)
    session.flush()
    return row


__all__ = ["PRIOR", "Doc", "Model", "Pair", "agent_pairs", "calibrate", "curve", "fit", "latest", "model_of",
           "pairs_for", "seed_pairs", "table"]
