"""Exactly one active dispatcher: a PostgreSQL advisory lock, or a lock file for SQLite.

APScheduler 3 must never share a job store between two schedulers, so
only the lock holder runs one.  The lock lives as long as its holder:
PostgreSQL releases an advisory lock when the session's connection closes
(the process died or the network dropped); the kernel releases a flock when
the process exits.  A standby simply keeps trying.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

from ..db import is_postgres

log = logging.getLogger(__name__)

# pg_try_advisory_lock(bigint): a fixed key for "the callcenter dispatcher".
LOCK_KEY = 0x43_43_44_69_73_70  # "CCDisp"


class Leadership(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...
    def describe(self) -> str: ...


class AdvisoryLock:
    """Held on a dedicated autocommit connection, checked on every poll."""

    def __init__(self, dsn: str, key: int = LOCK_KEY) -> None:
        self.dsn = dsn.replace("postgresql+psycopg://", "postgresql://")
        self.key = key
        self.conn: Any = None

    def try_acquire(self) -> bool:
        import psycopg

        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5,
                                            application_name="callcenter-dispatcher")
                # Notice a dead peer in seconds, not after the kernel's two hours.
                self.conn.execute("SET tcp_keepalives_idle = 5")
            got = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]
        except psycopg.Error as exc:
            log.warning("dispatcher lock: PostgreSQL unavailable (%s)", exc)
            self._drop()
            return False
        return bool(got)

    def still_held(self) -> bool:
        import psycopg

        try:
            row = self.conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND granted AND objid = %s", (self.key & 0xFFFFFFFF,)).fetchone()
            return bool(row and row[0])
        except psycopg.Error as exc:
            log.error("dispatcher lock: lost the connection holding it (%s)", exc)
            self._drop()
            return False

    def release(self) -> None:
        import psycopg

        if self.conn is not None and not self.conn.closed:
            with contextlib.suppress(psycopg.Error):  # gone anyway: the lock went with the connection
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._drop()

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close; it is dropped
                self.conn.close()
        self.conn = None

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {self.key}"


class FileLock:
    """flock on a file beside the SQLite database (one machine, by design)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        if self.fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def still_held(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def describe(self) -> str:
        return f"lock file {self.path}"


def lock_file_for(engine: Engine) -> Path:
    database = engine.url.database or "memory"
    return Path(f"{database}.dispatcher.lock")


def for_engine(engine: Engine) -> Leadership:
    if is_postgres(engine):
        return AdvisoryLock(engine.url.render_as_string(hide_password=False))
    return FileLock(lock_file_for(engine))


def holder(engine: Engine) -> str:
    """Who is active now, for `dispatch status` (best effort)."""
    if is_postgres(engine):
        from sqlalchemy import text

        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT l.pid, a.client_addr, a.backend_start FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :k "
                # Advisory locks are per database: another centre's dispatcher on the same server is not ours.
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"k": LOCK_KEY & 0xFFFFFFFF}).first()
        return f"backend pid {row[0]} from {row[1] or 'local'} since {row[2]:%Y-%m-%d %H:%M:%S}" if row else "none"
    path = lock_file_for(engine)
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return "none"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return f"pid {path.read_text().strip() or '?'} ({path})"
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return "none"
    finally:
        os.close(fd)
