"""The Alembic migrations and the models agree, on SQLite and on PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from callcenter import migrations
from callcenter.db import make_engine
from callcenter.models import Base
from callcenter.text.search import is_search_index


def test_migrations_match_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrations.upgrade(engine)
    with engine.connect() as conn:
        keep = lambda name, kind, parent: not is_search_index(name, kind)  # noqa: E731
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True,
                                                     "include_name": keep})
        assert compare_metadata(ctx, Base.metadata) == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_downgrade_then_upgrade_again(db_url: str) -> None:
    engine = make_engine(db_url)
    migrations.upgrade(engine)
    migrations.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(engine)
    assert "calls" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_in_wal_with_busy_timeout(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
