"""Engines and sessions (built once by the wiring module and passed in), and the two dialects' differences.

SQLite and PostgreSQL differ where it matters to us in one way that code
must ask about: the upsert statement (``INSERT ... ON CONFLICT``) comes from
each dialect's own module.  ``insert`` picks it, ``is_postgres`` answers the
few other questions (row locks, advisory locks, ``SKIP LOCKED``).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

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
        # pysqlite's own transaction handling defers BEGIN; take it over so
        # BEGIN IMMEDIATE can be issued for writes (no upgrade deadlocks).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read that says so (execution option sqlite_read) takes no write
        # lock: WAL serves it beside the writer, so it never waits for one.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("sqlite_read") else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


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
