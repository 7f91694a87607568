"""A knowledge base and a ticket history of any size, generated from a fixed seed and stored in bulk.

Articles and tickets go through the real schema (Core ``insert`` with
executemany); their ``search_words`` are what ``index_words`` gives, as
the service and the mapper event would store them.  Cutting a million
texts with jieba would take an hour, so body and ticket sentences, which
repeat, are cut once each and their words joined: a sentence ends at a
mark jieba never cuts across (。, or a space in English), so the words are
the same.  ``check`` proves it on a sample against the real functions.
"""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import opencc
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from callcenter.knowledge.articles import reindex
from callcenter.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleVersion,
    KnowledgeCategory,
    KnowledgeState,
    QuestionVariant,
    Ticket,
    TicketStatus,
)
from callcenter.text import words
from callcenter.text.search import index_words

from . import words as w

BATCH = 5_000
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = 2 * 365 * 86_400
NUMBERS = (3, 5, 7, 10, 15)
STATUSES = (TicketStatus.CLOSED,) * 6 + (TicketStatus.RESOLVED,) * 2 + (TicketStatus.OPEN, TicketStatus.NEW)
SOURCES = ("phone",) * 5 + ("email", "email", "web", "wechat", "sms")


def _zipf(n: int, s: float = 0.8) -> list[float]:
    return [1 / (rank + 1) ** s for rank in range(n)]


PRODUCT_WEIGHTS, ISSUE_WEIGHTS = _zipf(len(w.PRODUCTS)), _zipf(len(w.ISSUES))


@dataclass(frozen=True)
class Spec:
    """What one article is about (enough to ask about it again later)."""

    number: int
    product: int
    model: str
    issue: int
    action: int
    channel: int
    context: int
    amount: int

    @property
    def category(self) -> str:
        return w.ISSUES[self.issue][0]

    def slots(self, zh: bool, model: bool = True) -> dict[str, str]:
        side = 1 if zh else 0
        product = w.PRODUCTS[self.product][side]
        if model and self.model:
            product = f"{product}{self.model}" if zh else f"{product} {self.model}"
        return {"p": product, "i": w.ISSUES[self.issue][1 + side], "a": w.ACTIONS[self.action][side],
                "c": w.CHANNELS[self.channel][side], "x": w.CONTEXTS[self.context][side], "n": str(self.amount)}


def spec(number: int, rng: random.Random) -> Spec:
    model = f"{rng.choice(w.SERIES)}{rng.randint(1, 9999)}" if rng.random() < 0.7 else ""
    return Spec(number, rng.choices(range(len(w.PRODUCTS)), PRODUCT_WEIGHTS)[0], model,
                rng.choices(range(len(w.ISSUES)), ISSUE_WEIGHTS)[0], rng.randrange(len(w.ACTIONS)),
                rng.randrange(len(w.CHANNELS)), rng.randrange(len(w.CONTEXTS)), rng.choice(NUMBERS))


def fill(template: str, slots: dict[str, str]) -> str:
    text = template.format(**slots)
    return text[0].upper() + text[1:] if text[:1].isascii() else text


class Cutter:
    """``words.terms`` of pieces that repeat, cut once each."""

    def __init__(self) -> None:
        self.cache: dict[str, list[str]] = {}

    def __call__(self, piece: str) -> list[str]:
        found = self.cache.get(piece)
        if found is None:
            found = self.cache[piece] = words.terms(piece)
        return found

    def joined(self, pieces: Sequence[str]) -> list[str]:
        return [word for piece in pieces for word in self(piece)]


@dataclass(frozen=True)
class Version:
    locale: str
    title: str
    short: str
    sentences: tuple[str, ...]
    asked: tuple[str, ...]

    @property
    def body(self) -> str:
        return ("" if self.locale == "zh" else " ").join(self.sentences)

    def search_words(self, cut: Cutter) -> str:
        """``articles.reindex``'s words: title and questions twice, the short answer and the body once."""
        title, asked = words.terms(self.title), [words.terms(q) for q in self.asked]
        found = title + title + [x for q in asked for x in q] * 2 + cut(self.short) + cut.joined(self.sentences)
        return " ".join(found)


def versions(s: Spec, rng: random.Random) -> list[Version]:
    """An English and a Chinese version; each with two or three customers' questions."""
    found = []
    for zh in (False, True):
        side = 1 if zh else 0
        full, base = s.slots(zh), s.slots(zh, model=False)
        title = fill(rng.choice(w.TITLES)[side], full)
        asked = tuple(fill(t[side], full if rng.random() < 0.3 else base)
                      for t in rng.sample(w.QUESTIONS, rng.randint(2, 3)))
        short = fill(rng.choice(w.SHORTS)[side], base)
        sentences = tuple(fill(t[side], base) for t in rng.sample(w.BODY, rng.randint(6, 14)))
        found.append(Version("zh" if zh else "en", title[:200], short, sentences, asked))
    return found


def store_articles(engine: Engine, count: int, seed: int = 17) -> tuple[list[Spec], Cutter]:
    """``count`` published articles (codes from 1001), their versions, questions and first revisions."""
    rng, cut = random.Random(seed), Cutter()
    specs = [spec(i, rng) for i in range(count)]
    with engine.begin() as conn:
        conn.execute(insert(KnowledgeCategory), [{"key": key, "name_en": en, "name_zh": zh}
                                                 for key, en, zh in w.CATEGORIES])
        category_ids = dict(conn.execute(select(KnowledgeCategory.key, KnowledgeCategory.id)).tuples().all())
    for first in range(0, count, BATCH // 5):
        articles, rows, variants, revisions = [], [], [], []
        for s in specs[first:first + BATCH // 5]:
            article_id = s.number + 1
            articles.append({"id": article_id, "code": str(1001 + s.number), "category_id": category_ids[s.category],
                             "product": w.PRODUCTS[s.product][0] + (f" {s.model}" if s.model else ""),
                             "tags": [w.ISSUES[s.issue][1].lower(), w.PRODUCTS[s.product][0].lower()],
                             "status": ArticleStatus.PUBLISHED, "revision": 1})
            for v in versions(s, rng):
                rows.append({"article_id": article_id, "locale": v.locale, "title": v.title, "body": v.body,
                             "short": v.short, "search_words": v.search_words(cut)})
                variants += [{"article_id": article_id, "locale": v.locale, "text": q} for q in v.asked]
                revisions.append({"article_id": article_id, "number": 1, "locale": v.locale, "title": v.title,
                                  "body": v.body, "short": v.short, "status": ArticleStatus.PUBLISHED,
                                  "note": "created"})
        with engine.begin() as conn:
            conn.execute(insert(Article), articles)
            conn.execute(insert(ArticleVersion), rows)
            conn.execute(insert(QuestionVariant), variants)
            conn.execute(insert(ArticleRevision), revisions)
    with engine.begin() as conn:
        conn.execute(update(KnowledgeState).where(KnowledgeState.id == 1).values(articles=KnowledgeState.articles + 1))
    return specs, cut


def tickets(count: int, cut: Cutter, seed: int = 29) -> Iterator[list[dict[str, object]]]:
    """Batches of ticket rows, newest last, 60 % Chinese; their words from ``cut``."""
    rng = random.Random(seed)
    batch: list[dict[str, object]] = []
    for i in range(count):
        s = spec(i, rng)
        zh = rng.random() < 0.6
        side = 1 if zh else 0
        slots = s.slots(zh, model=False)
        subject = fill(rng.choice(w.TICKET_SUBJECTS)[side], slots)
        order = str(rng.randrange(10**11, 10**12))
        templates = [w.TICKET_SENTENCES[0], *rng.sample(w.TICKET_SENTENCES[1:], rng.randint(1, 4))]
        keys = [fill(t[side], {**slots, "o": "0"}) for t in templates]
        description = ("" if zh else " ").join(k.replace(" 0 ", f" {order} ") for k in keys)
        at = START + dt.timedelta(seconds=SPAN_SECONDS * i / max(count, 1))
        batch.append({"subject": subject, "description": description, "category": s.category,
                      "status": rng.choice(STATUSES), "source": rng.choice(SOURCES), "language": "zh" if zh else "en",
                      "search_words": " ".join(cut(subject) + cut.joined(keys)), "created_at": at, "updated_at": at})
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def store_tickets(engine: Engine, count: int, cut: Cutter) -> None:
    for batch in tickets(count, cut):
        with engine.begin() as conn:
            conn.execute(insert(Ticket), batch)


def check(session: Session, sample: int = 50) -> int:
    """The stored words are the real functions' (the service's ``reindex``, the mapper's ``index_words``)."""
    checked = 0
    for article in session.scalars(select(Article).order_by(Article.id).limit(sample)):
        stored = {v.locale: v.search_words for v in article.versions}
        reindex(article)
        assert stored == {v.locale: v.search_words for v in article.versions}, article.code
        checked += 1
    for ticket in session.scalars(select(Ticket).order_by(Ticket.id).limit(sample * 4)):
        assert ticket.search_words == index_words(ticket.subject, ticket.description), ticket.id
        checked += 1
    session.rollback()
    return checked


# -- questions as the desk asks them ------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    category: str | None


_T2S = opencc.OpenCC("s2t")


def _paraphrase(s: Spec, zh: bool, rng: random.Random) -> str:
    text = fill(rng.choice(w.QUESTIONS)[1 if zh else 0], s.slots(zh, model=rng.random() < 0.2))
    for ours, theirs in (w.SYNONYMS_ZH if zh else w.SYNONYMS_EN).items():
        if ours in text and rng.random() < 0.6:
            text = text.replace(ours, theirs)
    return text


def _transcript(s: Spec, zh: bool, length: int, rng: random.Random) -> str:
    """What a caller and an agent said, as speech recognition writes it (Chinese spaced character by character)."""
    side, slots, parts, size = (1 if zh else 0), s.slots(zh, model=False), list[str](), 0
    while size < length:
        line = rng.choice(w.CALLER_LINES if rng.random() < 0.7 else w.AGENT_LINES)[side]
        parts.append(rng.choice(w.FILLERS)[side] + " " + fill(line, slots).lower())
        size += len(parts[-1]) + 1
    text = " ".join(parts)[:length]
    return " ".join(text.replace(" ", "")) if zh else text


def queries(specs: Sequence[Spec], count: int, seed: int = 41) -> list[Query]:
    """Paraphrases, two-character words, traditional characters, speech, and long call transcripts."""
    rng, found = random.Random(seed), []
    two = sorted({zh for *_, zh in w.ISSUES if len(zh) == 2} | {zh for _, zh in w.PRODUCTS if len(zh) == 2})
    for _ in range(count):
        s, roll = rng.choice(specs), rng.random()
        category = s.category if rng.random() < 0.7 else None
        if roll < 0.30:
            found.append(Query("paraphrase zh", _paraphrase(s, True, rng), category))
        elif roll < 0.50:
            found.append(Query("paraphrase en", _paraphrase(s, False, rng), category))
        elif roll < 0.65:
            found.append(Query("two characters", rng.choice(two), category))
        elif roll < 0.80:
            found.append(Query("traditional", str(_T2S.convert(_paraphrase(s, True, rng))), category))
        elif roll < 0.94:
            found.append(Query("speech", _transcript(s, rng.random() < 0.6, rng.randint(20, 120), rng), category))
        else:
            found.append(Query("transcript", _transcript(s, rng.random() < 0.6, rng.randint(300, 4000), rng),
                               category))
    return found
