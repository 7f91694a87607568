"""SQLite: reads never take the write lock, so a long report never locks out the AMI writer or the IVR."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text

from callcenter.db import make_engine, make_read_session_factory, make_session_factory
from callcenter.models import Call, Ticket

from .deskdata import PASSWORD
from .webtools import sign_in


def _lock_holder(path: str) -> sqlite3.Connection:
    """A raw connection holding SQLite's write lock, as a writer mid-batch does."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=0.1, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    return conn


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    from callcenter import migrations

    url = f"sqlite:///{tmp_path / 'locks.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (name TEXT NOT NULL)"))
    engine.dispose()
    return url


def test_a_read_transaction_does_not_block_a_writer(sqlite_db: str) -> None:
    reader = make_read_session_factory(make_engine(sqlite_db))
    writer = sqlite3.connect(sqlite_db.removeprefix("sqlite:///"), isolation_level=None, timeout=0.2)
    with reader() as s, s.begin():
        s.execute(select(Call.id)).all()  # a long report, still open
        writer.execute("BEGIN IMMEDIATE")  # would raise 'database is locked' under BEGIN IMMEDIATE reads
        writer.execute("INSERT INTO scratch (name) VALUES ('night')")
        writer.execute("COMMIT")
    writer.close()


def test_a_read_that_turns_into_a_write_waits_for_the_lock_and_sees_new_rows(sqlite_db: str) -> None:
    factory = make_read_session_factory(make_engine(sqlite_db))
    path = sqlite_db.removeprefix("sqlite:///")
    with factory() as s, s.begin():
        assert s.scalar(text("SELECT count(*) FROM scratch")) == 0
        holder = _lock_holder(path)
        holder.execute("INSERT INTO scratch (name) VALUES ('day')")
        def release() -> None:
            holder.execute("COMMIT")
            holder.close()

        threading.Timer(0.3, release).start()
        # The write waits (busy_timeout) for the holder, then runs on a fresh snapshot.
        s.execute(text("INSERT INTO scratch (name) VALUES ('night')"))
        assert s.scalar(text("SELECT count(*) FROM scratch")) == 2


def test_select_for_update_takes_the_write_lock(sqlite_db: str) -> None:
    factory = make_read_session_factory(make_engine(sqlite_db))
    path = sqlite_db.removeprefix("sqlite:///")
    with factory() as s, s.begin():
        s.execute(select(Ticket.id).with_for_update()).all()
        other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pages_answer_while_another_process_holds_the_write_lock(client, shop, settings) -> None:
    sign_in(client, "sue", PASSWORD)
    holder = _lock_holder(settings.database.url.removeprefix("sqlite:///"))
    try:
        for page in ("/tickets/", "/reports/", "/review/", "/wallboard/"):
            assert client.get(page).status_code == 200, page
        assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {shop.tokens['ann']}"}
                          ).status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_writes_still_serialise(sqlite_db: str) -> None:
    """Two sessions updating the same row both commit, one after the other."""
    engine = make_engine(sqlite_db)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        s.execute(text("INSERT INTO scratch (name) VALUES ('t')"))
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(20):
                with factory.begin() as s:
                    s.execute(text("SELECT name FROM scratch")).all()
                    s.execute(text("UPDATE scratch SET name = name || 'x'"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with factory() as s:
        assert len(s.scalar(text("SELECT name FROM scratch")) or "") == 1 + 80


def test_a_writers_session_still_begins_with_the_lock(sqlite_db: str) -> None:
    """Services that read, decide and write (job claims) stay serialised without FOR UPDATE."""
    factory = make_session_factory(make_engine(sqlite_db))
    path = sqlite_db.removeprefix("sqlite:///")
    with factory() as s, s.begin():
        s.execute(text("SELECT count(*) FROM scratch")).all()
        other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_writer_takes_the_lock_as_soon_as_it_is_free_and_gives_up_after_busy_timeout(sqlite_db: str) -> None:
    """The write lock is tried again every few milliseconds until busy_timeout (not SQLite's growing sleeps);
    a lock never freed ends in SQLite's own 'database is locked', and the connection keeps its busy_timeout."""
    from callcenter.config import DatabaseSettings

    engine = make_engine(DatabaseSettings(url=sqlite_db, sqlite_busy_timeout_ms=300))
    holder = _lock_holder(sqlite_db.removeprefix("sqlite:///"))
    with pytest.raises(Exception, match="database is locked"), engine.begin() as conn:
        conn.execute(text("INSERT INTO scratch (name) VALUES ('never')"))
    timer = threading.Timer(0.1, holder.commit)
    timer.start()
    with engine.begin() as conn:  # freed while it waits: it gets the lock
        conn.execute(text("INSERT INTO scratch (name) VALUES ('after')"))
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 300
    timer.join()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM scratch")).scalars().all() == ["after"]
    holder.close()
    engine.dispose()
