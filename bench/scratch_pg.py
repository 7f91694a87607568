"""A scratch PostgreSQL database for one benchmark run, dropped after it (the figures' second engine)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

PG_ADMIN = os.environ.get("CALLCENTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database() -> Iterator[str | None]:
    """The new database's URL, or None (and why, printed) when no server answers: the SQLite figures stand."""
    try:
        import psycopg
        admin = psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True,
                                connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - reported; the run goes on without it
        print(f"PostgreSQL unavailable ({exc}); skipping it")
        yield None
        return
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
