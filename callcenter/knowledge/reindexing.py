"""Cut every article's, ticket's and transcript's words again, after the dictionary or the word rules changed.

Words are cut once, when a text is saved (``text.search``); a word the
admin teaches the segmenter later (a product name jieba splits in two)
only reaches the texts saved after it.  This goes over all of them in
batches, a short transaction each, so the desk and the IVR keep the
database meanwhile; a ticket is written only when its words changed (its
``updated_at`` is kept: nothing a person did changed it).  The articles'
counter is bumped at the end so every process rebuilds its index.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ..db import transaction
from ..models import Article, DictionaryWord, Ticket, Transcript
from ..models.transcripts import caller_text
from ..text import words
from ..text.search import index_words
from .articles import bump, reindex

Progress = Callable[[int], None]  # told how many more rows were done


@dataclass(frozen=True)
class Recut:
    articles: int
    versions_changed: int
    tickets: int
    tickets_changed: int
    transcripts: int = 0
    transcripts_changed: int = 0


def learn_dictionary(session: Session) -> None:
    """This process's segmenter knows the admin's words before cutting anything."""
    words.teach(session.scalars(select(DictionaryWord.word)))


def counts(session: Session) -> tuple[int, int, int]:
    """(articles, tickets, transcripts): what a full run goes over, for a progress bar."""
    return (int(session.scalar(select(func.count()).select_from(Article)) or 0),
            int(session.scalar(select(func.count()).select_from(Ticket)) or 0),
            int(session.scalar(select(func.count()).select_from(Transcript)) or 0))


def articles(factory: sessionmaker[Session], batch: int = 200, progress: Progress | None = None) -> tuple[int, int]:
    """Every article's versions cut again: (articles seen, versions whose words changed); indexes told once."""
    seen = changed = after = 0
    while True:
        with transaction(factory) as session:
            found = list(session.scalars(select(Article).where(Article.id > after).order_by(Article.id).limit(batch)
                                         .options(selectinload(Article.variants))))
            if not found:
                break
            for article in found:
                before = {v.id: v.search_words for v in article.versions}
                reindex(article)
                changed += sum(v.search_words != before.get(v.id) for v in article.versions)
        after, seen = found[-1].id, seen + len(found)
        if progress is not None:
            progress(len(found))
    if changed:
        with transaction(factory) as session:
            bump(session)  # every process rebuilds its index from the new words
    return seen, changed


def tickets(factory: sessionmaker[Session], batch: int = 500, progress: Progress | None = None) -> tuple[int, int]:
    """Every ticket's words cut again: (tickets seen, tickets whose words changed)."""
    seen = changed = after = 0
    while True:
        with transaction(factory) as session:
            rows = session.execute(select(Ticket.id, Ticket.subject, Ticket.description, Ticket.search_words,
                                          Ticket.updated_at).where(Ticket.id > after).order_by(Ticket.id)
                                   .limit(batch)).all()
            if not rows:
                break
            fresh = [{"id": r.id, "search_words": index_words(r.subject, r.description), "updated_at": r.updated_at}
                     for r in rows]
            different = [f for f, r in zip(fresh, rows, strict=True) if f["search_words"] != r.search_words]
            if different:  # by primary key, without the mapper's events: the words are already cut
                session.execute(update(Ticket), different)
        after, seen, changed = rows[-1].id, seen + len(rows), changed + len(different)
        if progress is not None:
            progress(len(rows))
    return seen, changed


def transcripts(factory: sessionmaker[Session], batch: int = 200, progress: Progress | None = None) -> tuple[int, int]:
    """Every transcript's caller words cut again: (transcripts seen, transcripts whose words changed)."""
    seen = changed = after = 0
    while True:
        with transaction(factory) as session:
            rows = session.execute(select(Transcript.id, Transcript.turns, Transcript.text, Transcript.caller_words,
                                          Transcript.updated_at).where(Transcript.id > after)
                                   .order_by(Transcript.id).limit(batch)).all()
            if not rows:
                break
            different = [{"id": r.id, "caller_words": fresh, "updated_at": r.updated_at} for r in rows
                         if (fresh := index_words(caller_text(r.turns, r.text))) != r.caller_words]
            if different:
                session.execute(update(Transcript), different)
        after, seen, changed = rows[-1].id, seen + len(rows), changed + len(different)
        if progress is not None:
            progress(len(rows))
    return seen, changed


def everything(factory: sessionmaker[Session], batch: int = 200, progress: Progress | None = None) -> Recut:
    """The dictionary learnt, then articles, tickets and transcripts cut again (see the module's docstring)."""
    with factory() as session:
        learn_dictionary(session)
    seen, versions = articles(factory, batch, progress)
    ticket_count, tickets_changed = tickets(factory, batch, progress)
    transcript_count, transcripts_changed = transcripts(factory, batch, progress)
    return Recut(seen, versions, ticket_count, tickets_changed, transcript_count, transcripts_changed)
