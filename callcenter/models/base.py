"""Declarative base and the shared column types every model uses."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any, ClassVar

from sqlalchemy import JSON, DateTime, Integer, MetaData, String, Table, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on both engines (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def str_enum(enum_cls: type[enum.Enum], length: int = 20) -> Any:
    """Store an Enum by value as a short string with a CHECK constraint."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def insert_defaults(table: Table) -> dict[str, Any]:
    """Column defaults the ORM would apply; a Core insert (an upsert) must name them itself."""
    out = {}
    for column in table.columns:
        if column.default is not None and not column.primary_key:
            arg = getattr(column.default, "arg", None)  # a scalar, or a callable taking the context
            out[column.key] = arg(None) if callable(arg) else arg
    return out


# Shared annotated types (SQLAlchemy 2.0 docs, declarative_tables.rst).
intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
updated_at = Annotated[
    dt.datetime, mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
]
timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime)]
str20 = Annotated[str, mapped_column(String(20))]
str40 = Annotated[str, mapped_column(String(40))]
str80 = Annotated[str, mapped_column(String(80))]
str200 = Annotated[str, mapped_column(String(200))]
e164 = Annotated[str, mapped_column(String(20))]

# Stable constraint names so Alembic migrations work on every engine.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime,
        dict[str, Any]: JSON,
        dict[str, str]: JSON,
        list[Any]: JSON,
        list[str]: JSON,
    }
