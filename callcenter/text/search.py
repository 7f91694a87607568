"""Full-text search over words cut once, the same on SQLite and PostgreSQL.

Neither engine cuts Chinese into words by itself (FTS5's tokenizers see a
run of characters as one token; PostgreSQL has no Chinese parser here), so
the text is cut by ``words.terms`` when it is written and stored
space-separated; FTS5 (``unicode61``) and ``to_tsvector('simple', …)`` then
only split on those spaces, and a query cut the same way matches the same
rows on both.  A query matches a row holding every one of its words.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, func, literal_column, select, table
from sqlalchemy.ext.compiler import compiles

from . import words

# The index's tables and triggers (SQLite) are the migration's; Alembic's comparison leaves them alone.
FTS_TABLES = ("tickets_fts",)
# SQLite's index: an external-content FTS5 table kept by triggers.  A later migration that rebuilds the
# tickets table (a batch "move and copy") loses the triggers: it must run these again.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS tickets_fts USING fts5(search_words, content='tickets', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS tickets_fts_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, search_words) VALUES (new.id, new.search_words); END",
    "CREATE TRIGGER IF NOT EXISTS tickets_fts_ad AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, search_words) VALUES ('delete', old.id, old.search_words); END",
    "CREATE TRIGGER IF NOT EXISTS tickets_fts_au AFTER UPDATE OF search_words ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, search_words) VALUES ('delete', old.id, old.search_words); "
    "INSERT INTO tickets_fts(rowid, search_words) VALUES (new.id, new.search_words); END",
    "INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')",
)
SQLITE_FTS_DROP = ("DROP TRIGGER IF EXISTS tickets_fts_au", "DROP TRIGGER IF EXISTS tickets_fts_ad",
                   "DROP TRIGGER IF EXISTS tickets_fts_ai", "DROP TABLE IF EXISTS tickets_fts")
POSTGRES_FTS = ("CREATE INDEX IF NOT EXISTS ix_tickets_search_words ON tickets "
                "USING gin (to_tsvector('simple', search_words))",)
POSTGRES_FTS_DROP = ("DROP INDEX IF EXISTS ix_tickets_search_words",)


def is_search_index(name: str | None, kind: str) -> bool:
    """FTS5's own tables (tickets_fts, tickets_fts_data ...) and PostgreSQL's expression index: no model has them."""
    if kind == "index":
        return name == "ix_tickets_search_words"
    return kind == "table" and bool(name) and any(str(name) == t or str(name).startswith(t + "_") for t in FTS_TABLES)


def index_words(*texts: str | None) -> str:
    """What to store in a ``search_words`` column for these texts."""
    return " ".join(w for t in texts if t for w in words.terms(t))


def query_words(query: str) -> list[str]:
    """The distinct words a query searches for, in order."""
    return list(dict.fromkeys(words.terms(query)))


def fts5_query(found: list[str]) -> str:
    """An FTS5 MATCH string requiring every word; each quoted, so none is read as an operator."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in found)


class _TicketWords(ColumnElement[bool]):
    """"The ticket holds every one of these words", written for whichever engine runs it."""

    inherit_cache = True
    type = Boolean()

    def __init__(self, found: list[str]) -> None:
        self.found = tuple(found)
        self._cache_key = found

    def _gen_cache_key(self, anon_map: Any, bindparams: list[Any]) -> tuple[Any, ...]:
        return (type(self), self.found)


@compiles(_TicketWords, "postgresql")
def _postgres(element: _TicketWords, compiler: Any, **kw: Any) -> str:
    clause = func.to_tsvector(literal_column("'simple'"), literal_column("tickets.search_words")).op("@@")(
        func.plainto_tsquery(literal_column("'simple'"), " ".join(element.found)))
    return str(compiler.process(clause, **kw))


@compiles(_TicketWords)
def _sqlite(element: _TicketWords, compiler: Any, **kw: Any) -> str:
    matching = literal_column("tickets.id").in_(
        select(literal_column("rowid")).select_from(table("tickets_fts")).where(
            literal_column("tickets_fts").op("MATCH")(fts5_query(list(element.found)))))
    return str(compiler.process(matching, **kw))


def ticket_matches(query: str) -> ColumnElement[bool] | None:
    """A clause: the ticket holds every word of ``query`` (None when the query has no words to search)."""
    found = query_words(query)
    return _TicketWords(found) if found else None
