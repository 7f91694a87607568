"""The words the admin teaches the segmenter: product names and trade terms jieba would cut in two.

A new word changes how every text is cut, so adding or removing one cuts
every article's words again at once (``articles.reindex``) and tells every
process (``bump``): their indexes rebuild with the new words, and their
tokenizers learn them (``index.KnowledgeIndex.current``).  Tickets' stored
words are left as they are: a ticket is cut when it is saved, and there
may be millions.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..access import audit
from ..access.audit import Actor
from ..access.roles import ADMINS
from ..i18n import N_
from ..models import Article, DictionaryWord
from ..text import words as text_words
from ..text.normal import fold
from .articles import KnowledgeError, bump, reindex

MAX_WORD = 40
SPACE = re.compile(r"[\s\x00-\x1f]")


class Dictionary:
    """Add, remove and list the admin's words (admins only; the system may too)."""

    @staticmethod
    def _admin(actor: Actor) -> None:
        if actor.user is not None and actor.role not in ADMINS:
            raise KnowledgeError(N_("Only admins change the dictionary."), code="forbidden")

    @staticmethod
    def words(session: Session) -> list[DictionaryWord]:
        return list(session.scalars(select(DictionaryWord).order_by(DictionaryWord.word)))

    @staticmethod
    def cut(text: str) -> list[str]:
        """How a sentence is cut into the words it is searched by (what the admin checks before adding one)."""
        return text_words.terms(text[:1000])

    def add(self, session: Session, actor: Actor, word: str) -> DictionaryWord:
        """Teach one word (stored folded: 發票 and ＷｉＦｉ are 发票 and wifi, as texts are folded before cutting)."""
        self._admin(actor)
        typed = (word or "").strip()
        folded = fold(typed)  # (folding also joins Chinese characters a space parts: check what was typed)
        if not folded or len(folded) > MAX_WORD or SPACE.search(typed) or SPACE.search(folded):
            raise KnowledgeError(N_("A word of 1-%(n)s characters, without spaces."), field="word", code="bad_word",
                                 n=MAX_WORD)
        if session.scalar(select(DictionaryWord.id).where(DictionaryWord.word == folded)) is not None:
            raise KnowledgeError(N_("%(value)s is already in the dictionary."), field="word", code="duplicate",
                                 value=folded)
        row = DictionaryWord(word=folded, added_by_id=actor.user_id)
        session.add(row)
        session.flush()
        audit.record(session, "dictionary_word_added", actor, object_type="dictionary_word", object_id=row.id,
                     word=folded)
        self._apply(session)
        return row

    def remove(self, session: Session, actor: Actor, word_id: int) -> str:
        """Forget one word; returns it."""
        self._admin(actor)
        row = session.get(DictionaryWord, word_id)
        if row is None:
            raise KnowledgeError(N_("No such word."), code="not_found")
        word = row.word
        session.delete(row)
        session.flush()
        audit.record(session, "dictionary_word_removed", actor, object_type="dictionary_word", object_id=word_id,
                     word=word)
        self._apply(session)
        return word

    def _apply(self, session: Session) -> None:
        """This process cuts with the new words now; every article is cut again; every process is told."""
        text_words.teach(session.scalars(select(DictionaryWord.word)))
        for article in session.scalars(select(Article).options(selectinload(Article.variants)).order_by(Article.id)):
            reindex(article)
        bump(session, articles=False)
        bump(session, articles=True)
        session.flush()
