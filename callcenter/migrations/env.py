"""Alembic environment: runs against the connection or URL the CLI hands in."""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from callcenter.db import make_engine
from callcenter.models import Base
from callcenter.text.search import is_search_index

config = context.config
target_metadata = Base.metadata


def keep_name(name: str | None, kind: str, parent: object) -> bool:
    """What autogenerate compares: not the full-text index's own tables (text/search.py)."""
    return not is_search_index(name, kind)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=keep_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
