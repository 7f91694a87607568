"""Engines and sessions (built once by the wiring module and passed in), and the two dialects' differences.

SQLite and PostgreSQL differ where it matters to us in one way that code
must ask about: the upsert statement (``INSERT ... ON CONFLICT``) comes from
each dialect's own module.  ``insert`` picks it, ``is_postgres`` answers the
few other questions (row locks, advisory locks, ``SKIP LOCKED``).
"""
from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from .config import DatabaseSettings


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(cfg: DatabaseSettings | str, **kw: Any) -> Engine:
    if isinstance(cfg, str):
        cfg = DatabaseSettings(url=cfg)
    url = make_url(normalise_url(cfg.url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=cfg.echo, connect_args={"timeout": cfg.sqlite_busy_timeout_ms / 1000}, **kw
        )
        _sqlite_pragmas(engine, cfg.sqlite_busy_timeout_ms)
        return engine
    return create_engine(
        url, echo=cfg.echo, pool_size=cfg.pool_size, pool_pre_ping=True, **kw
    )


def _sqlite_pragmas(engine: Engine, busy_ms: int) -> None:
    """WAL lets readers run beside the writer; busy_timeout waits instead of failing."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is taken over: a reader's
        # transaction runs in a plain BEGIN (WAL serves it beside the writer and
        # it never holds the write lock), a writer's in BEGIN IMMEDIATE (no
        # upgrade deadlocks).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Nothing is sent yet: the first statement decides how the transaction begins.
        conn.info["sqlite_txn"] = "pending"

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn: Connection, cursor: Any, statement: str, _params: Any, context: Any,
                        _many: bool) -> None:
        state = conn.info.get("sqlite_txn")
        if state is None or state == "write":
            return
        # Only a reader (execution option sqlite_read: web pages, reports, the IVR's
        # reads) begins without the lock; everything else serialises as before, so
        # read-decide-write code (job claims) stays safe without FOR UPDATE.
        writes = not conn.get_execution_options().get("sqlite_read") or _writes(statement, context)
        if state == "pending":
            if writes:
                _begin_immediate(cursor, busy_ms)
            else:
                cursor.execute("BEGIN")
        elif writes:
            # A read that turns into a write: end the read snapshot and wait for the
            # write lock (busy_timeout), as PostgreSQL's read committed would see it.
            cursor.execute("COMMIT")
            _begin_immediate(cursor, busy_ms)
        conn.info["sqlite_txn"] = "write" if writes else "read"

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: Connection) -> None:
        conn.info.pop("sqlite_txn", None)


def _begin_immediate(cursor: Any, busy_ms: int) -> None:
    """Take the write lock, trying again every few milliseconds until busy_timeout.

    SQLite's own busy handler sleeps longer and longer between tries (up to
    100 ms each), so a writer that has waited a little keeps missing the short
    gaps between another process's transactions: under a steady stream of
    writes it waited seconds for a lock that was free most of each 20 ms.
    """
    deadline = time.monotonic() + busy_ms / 1000
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        pause = 0.0005
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.004)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")


READ_STATEMENTS = ("SELECT", "PRAGMA", "EXPLAIN", "VALUES")


def _writes(statement: str, context: Any) -> bool:
    """Whether a statement needs SQLite's write lock: anything but a plain read.

    ``SELECT ... FOR UPDATE`` (which SQLite's compiler drops) and savepoints
    count as writes, so code that locks rows on PostgreSQL is serialised here.
    """
    head = statement.lstrip(" \t\r\n(").split(None, 1)
    word = head[0].upper() if head else ""
    if word == "WITH":
        return any(w in statement.upper() for w in ("INSERT", "UPDATE", "DELETE"))
    if word not in READ_STATEMENTS:
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for readers (pages, reports): on SQLite they never take the write lock
    until they write, and then on a fresh snapshot (like PostgreSQL's read committed)."""
    return sessionmaker(engine.execution_options(sqlite_read=True), expire_on_commit=False)


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A short unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def is_postgres(bind: Engine | Connection | Session) -> bool:
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    return dialect.name == "postgresql"


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (``Session.execute`` types every result as a plain ``Result``)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def insert(bind: Engine | Connection | Session, table: Any) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing``/``on_conflict_do_update`` for this database."""
    return (postgresql.insert if is_postgres(bind) else sqlite.insert)(table)


def on_commit(session: Session, key: Hashable, item: Any, hand_over: Callable[[Session, list[Any]], None], *,
              before: bool) -> None:
    """Hold ``item`` in the session until its transaction commits, then give all of them to ``hand_over``:
    just before the commit (a statement in the same transaction: audit rows, NOTIFY) or just after it (an
    in-process event).  A rollback drops them; a savepoint's rollback drops those held since it began; a
    savepoint's release hands over nothing (SQLAlchemy fires its commit events there too)."""
    held, marks = (_HELD, key), (_MARKS, key)
    if held not in session.info:
        def created(s: Session, transaction: SessionTransaction) -> None:
            if transaction.nested:
                s.info.setdefault(marks, {})[id(transaction)] = len(s.info.get(held, []))

        def committed(s: Session) -> None:
            if not s.in_nested_transaction():
                s.info.pop(marks, None)
                # The key stays (a new list): the listeners stay registered once for the session's life.
                items, s.info[held] = s.info.get(held, []), []
                if items:
                    hand_over(s, items)

        def rolled_back(s: Session, previous: SessionTransaction) -> None:
            if previous.nested:
                del s.info.get(held, [])[s.info.get(marks, {}).pop(id(previous), 0):]
            else:
                s.info.pop(marks, None)
                s.info[held] = []

        session.info[held] = []
        event.listen(session, "after_transaction_create", created)
        event.listen(session, "before_commit" if before else "after_commit", committed)
        event.listen(session, "after_soft_rollback", rolled_back)
    session.info[held].append(item)


_HELD, _MARKS = "callcenter_held", "callcenter_held_marks"
