"""Migrated databases made once per test worker and copied for each test, instead of running every
migration again for each of the suite's ~1,500 databases (about half a second each).

SQLite: one migrated file, copied.  PostgreSQL: one migrated template database; each test's database is
made again from it (``CREATE DATABASE ... TEMPLATE``).  The copies are exactly what ``migrations.upgrade``
makes, because the templates are made by it, at the head revision, when the worker starts.
"""
from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from callcenter import migrations
from callcenter.config import DatabaseSettings
from callcenter.db import make_engine

FRESH_PG = "cc_fresh_"  # the names the suite gives its PostgreSQL databases (tests/conftest.py db_url)


class Templates:
    def __init__(self, directory: Path, admin: Any, pg_base: str) -> None:
        self.directory, self.admin, self.pg_base = directory, admin, pg_base
        self._sqlite: Path | None = None
        self._pg: str | None = None
        self._lock = threading.Lock()

    def prepare(self, url: str) -> None:
        """The database at ``url`` is migrated from the template if it is new: a SQLite file not made yet,
        or a PostgreSQL database of the suite's (``cc_fresh_...``) still empty.  Anything else is left."""
        found = make_url(url)
        if found.get_backend_name() == "sqlite" and found.database and not Path(found.database).exists():
            self.sqlite(Path(found.database))
        elif found.get_backend_name() == "postgresql" and (found.database or "").startswith(FRESH_PG):
            self.postgresql(str(found.database))

    def sqlite(self, target: Path) -> None:
        """``target`` becomes a migrated database (it must not exist yet)."""
        with self._lock:
            if self._sqlite is None:
                path = self.directory / "template.db"
                engine = make_engine(DatabaseSettings(url=f"sqlite:///{path}"))
                migrations.upgrade(engine)
                engine.dispose()  # the last connection to close folds the write-ahead log into the file
                self._sqlite = path
        shutil.copyfile(self._sqlite, target)
        for suffix in ("-wal", "-shm"):
            if Path(f"{self._sqlite}{suffix}").exists():
                shutil.copyfile(f"{self._sqlite}{suffix}", f"{target}{suffix}")

    def postgresql(self, name: str) -> None:
        """The database ``name``, if it is still empty, is made again as a migrated one."""
        import psycopg

        with psycopg.connect(f"{self.pg_base}/{name}", connect_timeout=3) as conn:
            if conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() != (0,):
                return  # the test has made something there itself: left as it is
        with self._lock:
            if self._pg is None:
                template = f"cc_tpl_{uuid.uuid4().hex[:10]}"
                self.admin.execute(f'CREATE DATABASE "{template}"')
                engine = make_engine(DatabaseSettings(url=f"{self.pg_base}/{template}"))
                migrations.upgrade(engine)
                engine.dispose()
                self._pg = template
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg}"')

    def close(self) -> None:
        if self._pg is not None:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{self._pg}" WITH (FORCE)')
