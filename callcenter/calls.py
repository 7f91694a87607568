"""Find-or-create the one Call row of a Linkedid, safely from any process.

The AMI bridge, the IVR and the desk all need the call's row while the call
is still up (a ticket, callback or survey links to it).  Whoever comes first
inserts it; ``ON CONFLICT DO NOTHING`` on (pbx, linkedid) makes the race
harmless on SQLite and PostgreSQL alike, so a call is never stored twice.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert

from .models import Call, utcnow


def _new_row(pbx: str, linkedid: str, values: dict[str, Any]) -> dict[str, Any]:
    """Every column a Core insert needs: the ORM's defaults are applied by the ORM only."""
    now = utcnow()
    row = {"pbx": pbx, "linkedid": linkedid, "started_at": now, "created_at": now, "updated_at": now, **values}
    for column in Call.__table__.columns:
        if column.key not in row and column.default is not None and not column.primary_key:
            arg = column.default.arg
            row[column.key] = arg(None) if callable(arg) else arg
    return row


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def ensure_call(session: Session, pbx: str, linkedid: str, **values: Any) -> Call:
    """Return the Call for (pbx, linkedid), inserting it with ``values`` if new."""
    row = _new_row(pbx, linkedid, values)
    # Values as parameters, not .values(**row): the statement's cache key stays
    # the same from call to call, so it is not rebuilt each time (~4x faster).
    insert = _insert(session.get_bind().dialect.name)
    session.execute(insert(Call).on_conflict_do_nothing(index_elements=["pbx", "linkedid"]), row)
    call = session.scalar(
        select(Call).where(Call.pbx == pbx, Call.linkedid == linkedid).execution_options(populate_existing=True)
    )
    assert call is not None
    return call


def merge_call(session: Session, pbx: str, linkedid: str, *, fill: dict[str, Any] | None = None,
               overwrite: dict[str, Any] | None = None, ivr: dict[str, Any] | None = None) -> None:
    """Create the call's row or update it in place, in one statement.

    ``fill`` sets columns still empty (whoever came first wins), ``overwrite``
    always sets, ``ivr`` is merged key by key into the row's IVR choices.
    The IVR stores what it learnt this way after each script: one upsert
    instead of select + ORM flush keeps its writer thread from holding the
    GIL the callers' threads need (about a fifth of the CPU).
    """
    fill, overwrite = fill or {}, overwrite or {}
    row = _new_row(pbx, linkedid, {**fill, **overwrite, **({"ivr": ivr} if ivr is not None else {})})
    statement = _merge_statement(session.get_bind().dialect.name, tuple(sorted(fill)), tuple(sorted(overwrite)),
                                 ivr is not None)
    session.execute(statement, row)


@functools.lru_cache(maxsize=64)
def _merge_statement(dialect: str, fill: Iterable[str], overwrite: Iterable[str], ivr: bool) -> Insert:
    table = Call.__table__
    statement = _insert(dialect)(table)
    new = statement.excluded
    changes: dict[str, Any] = {"updated_at": new.updated_at}
    changes.update({key: func.coalesce(table.c[key], new[key]) for key in fill})
    changes.update({key: new[key] for key in overwrite})
    if ivr:
        changes["ivr"] = (cast(cast(table.c.ivr, JSONB).op("||")(cast(new.ivr, JSONB)), JSON)
                          if dialect == "postgresql" else func.json_patch(table.c.ivr, new.ivr))
    return statement.on_conflict_do_update(index_elements=["pbx", "linkedid"], set_=changes)


def find_call(session: Session, pbx: str, linkedid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.pbx == pbx, Call.linkedid == linkedid))


def seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())
