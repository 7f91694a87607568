"""The raw score made a probability: "this article answers this question", learnt from labelled pairs.

No raw BM25 score means "75 %": it grows with the query's length and the
words' rarity.  Three features that do not (``index.Ranked``: the share of
the query's weight matched, the score over the query's best possible one,
and the margin to the best other article in those same units) go through a
logistic regression (Platt scaling) fitted on labelled (question, article)
pairs:

* the seed, which the knowledge base gives itself: in a few rounds, one
  approved question of every article is held out of the index and asked
  (its article is right, the others shown are wrong); then, a group of
  articles at a time, whole articles are left out and their questions
  asked (everything shown is wrong: the questions the base cannot answer,
  which look like real ones because they share its words);
* every suggestion an agent marked helpful or not, and every auto-reply a
  customer accepted or rejected; together they soon outweigh the seed
  (``SEED_AS_LABELS``).

The fit keeps its reliability curve and, for each threshold, the precision
and coverage of the top suggestion on the same data (the admin's chart).
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import (
    Article,
    ArticleStatus,
    ArticleVersion,
    Calibration,
    QuestionVariant,
    Suggestion,
    VariantStatus,
)
from ..text import words
from .articles import KnowledgeError
from .index import Built, Doc, build, document, published, rank

SHOWN = 5  # suggestions per seed question that become labelled pairs
ROUNDS = 3  # held-out rounds: each asks another question of every article
LEFT_OUT_GROUPS = 5  # left-out rounds: each index lacks about a fifth of the articles
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]
# The seed is the knowledge base's guess at its questions; people's labels are the real thing.  However
# many pairs the seed has, together they weigh as much as this many labels, so a few dozen "not helpful"
# already move the fit, and thousands of labels outweigh the seed.
SEED_AS_LABELS = 200


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
    """The stored fit, or the prior when there is none (or it was fitted on features of another shape)."""
    if row is None or len(row.coefficients or ()) != len(PRIOR.coefficients):
        return PRIOR
    return Model(tuple(float(c) for c in row.coefficients), float(row.intercept))


def latest(session: Session) -> Calibration | None:
    return session.scalar(select(Calibration).order_by(Calibration.id.desc()).limit(1))


# -- the labelled pairs -------------------------------------------------------------------------------
Key = tuple[int, str]  # (article id, locale)


def seed_pairs(session: Session, sample: int = 400, rng: random.Random | None = None) -> list[Pair]:
    """Held-out and left-out questions asked of indexes that lack them (see the module's docstring).

    Up to ``ROUNDS`` rounds hold out a different question of every article
    (one index build each); then the articles are left out a group at a
    time (``LEFT_OUT_GROUPS`` builds at most), so even a small base, whose
    every article has a held-out question, has questions it cannot answer.
    ``sample`` bounds the questions of each kind (and so the time taken).
    """
    rng = rng or random.Random(17)
    rows = published(session)
    variants = _approved(session)
    askable = sorted(key for key, found in variants.items() if len(found) >= 2)
    rng.shuffle(askable)
    askable = askable[:max(1, sample // ROUNDS)]
    batches: list[tuple[Built, list[tuple[str, int | None]]]] = []
    offsets = {key: rng.randrange(len(variants[key])) for key in askable}
    for round_ in range(ROUNDS):
        held = {key: variants[key][(offsets[key] + round_) % len(variants[key])] for key in askable
                if round_ < len(variants[key])}
        if not held:
            break
        recut = _documents_without(session, held, variants)
        batches.append((build([(doc, recut.get((doc.article_id, doc.locale), stored)) for doc, stored in rows]),
                        [(v.text, key[0]) for key, v in held.items()]))
    articles = sorted({a for a, _ in variants})
    rng.shuffle(articles)
    if len(articles) > 3:
        left = articles[:max(1, sample // 4)]
        size = max(1, math.ceil(len(articles) / LEFT_OUT_GROUPS))
        for start in range(0, len(left), size):
            group = set(left[start:start + size])
            batches.append((build([(doc, stored) for doc, stored in rows if doc.article_id not in group]),
                            [(v.text, None) for (a, _), found in sorted(variants.items()) if a in group
                             for v in found[:2]]))
    found: list[Pair] = []
    for index, asked in batches:
        found += pairs_for(index, asked, "seed", first=len({p.question for p in found}))
    return found


def _approved(session: Session) -> dict[Key, list[QuestionVariant]]:
    """The approved questions of the published articles, by article and language, oldest first."""
    variants: dict[Key, list[QuestionVariant]] = {}
    for v in session.scalars(select(QuestionVariant).join(Article).where(
            Article.status == ArticleStatus.PUBLISHED, QuestionVariant.status == VariantStatus.APPROVED)
            .order_by(QuestionVariant.id)):
        variants.setdefault((v.article_id, v.locale), []).append(v)
    return variants


def _documents_without(session: Session, held: dict[Key, QuestionVariant],
                       variants: dict[Key, list[QuestionVariant]]) -> dict[Key, str]:
    """The stored words of these versions as if their held-out question had never been written."""
    found = {}
    for version in session.scalars(select(ArticleVersion).where(
            ArticleVersion.article_id.in_({a for a, _ in held}))):
        key = (version.article_id, version.locale)
        if key in held:
            asked = [v.text for v in variants[key] if v.id != held[key].id]
            found[key] = document(version.title, asked, version.short, version.body)
    return found


def pairs_for(index: Built, asked: Sequence[tuple[str, int | None]], source: str, first: int = 0) -> list[Pair]:
    """Each question's top suggestions labelled by whether they are its right article (numbered from
    ``first``)."""
    found = []
    for number, (question, right) in enumerate(asked, start=first):
        for position, hit in enumerate(rank(index, words.terms(question), k=SHOWN), start=1):
            found.append(Pair(tuple(hit.features), hit.article_id == right, position, number, source))
    return found


def agent_pairs(session: Session, limit: int = 20_000) -> list[Pair]:
    """Suggestions an agent marked helpful or not (auto-replies the customer answered are marked too)."""
    rows = session.execute(select(Suggestion.id, Suggestion.features, Suggestion.helpful, Suggestion.rank)
                           .where(Suggestion.helpful.is_not(None)).order_by(Suggestion.id.desc()).limit(limit))
    return [Pair(tuple(float(f) for f in r.features), bool(r.helpful), r.rank, -r.id, "agents")
            for r in rows if r.features and len(r.features) == len(PRIOR.coefficients)]


# -- fitting ------------------------------------------------------------------------------------------
def fit(pairs: Sequence[Pair]) -> tuple[Model, list[list[float]], list[list[float]]]:
    """The model, its reliability curve and its threshold table (precision and coverage of the top one)."""
    labels = [p.right for p in pairs]
    if len(set(labels)) < 2:
        raise KnowledgeError(N_("Calibration needs both right and wrong answers: publish more articles with two or "
                                "more questions each, or mark more suggestions."), code="too_few_labels")
    # Imported here: scikit-learn (and SciPy under it) takes a second and ~100 MB to load, and only the
    # process that fits (the dispatcher's nightly job, "Calibrate now") needs it; the others read coefficients.
    from sklearn.linear_model import LogisticRegression

    x = np.asarray([p.features for p in pairs], dtype=np.float64)
    y = np.asarray(labels, dtype=np.int8)
    regression = LogisticRegression(C=10.0, max_iter=1000)
    regression.fit(x, y, sample_weight=weights(pairs))
    model = Model(tuple(float(c) for c in regression.coef_[0]), float(regression.intercept_[0]))
    return model, curve(pairs, model), table(pairs, model)


def weights(pairs: Sequence[Pair]) -> np.ndarray:
    """A seed pair weighs 1, a person's label as much as the seed's share of ``SEED_AS_LABELS`` (at least 1)."""
    seed = sum(p.source == "seed" for p in pairs)
    label = max(1.0, seed / SEED_AS_LABELS)
    return np.asarray([1.0 if p.source == "seed" else label for p in pairs], dtype=np.float64)


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
