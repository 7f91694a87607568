"""Find-or-create the one Call row of a Linkedid, safely from any process.

The AMI bridge, the IVR and the desk all need the call's row while the call
is still up (a ticket, callback or survey links to it).  Whoever comes first
inserts it; ``ON CONFLICT DO NOTHING`` on (pbx, linkedid) makes the race
harmless on SQLite and PostgreSQL alike, so a call is never stored twice.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import JSON, Table, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql import Insert

from .. import db
from ..models import Call, utcnow
from ..models.base import insert_defaults

CALLS = cast(Table, Call.__table__)


def _new_row(pbx: str, linkedid: str, values: dict[str, Any]) -> dict[str, Any]:
    """Every column a Core insert needs: the ORM's defaults are applied by the ORM only."""
    now = utcnow()
    return {**insert_defaults(CALLS), "pbx": pbx, "linkedid": linkedid, "started_at": now, "created_at": now,
            "updated_at": now, **values}


def ensure_call(session: Session, pbx: str, linkedid: str, **values: Any) -> Call:
    """Return the Call for (pbx, linkedid), inserting it with ``values`` if new."""
    row = _new_row(pbx, linkedid, values)
    # Values as parameters, not .values(**row): the statement's cache key stays
    # the same from call to call, so it is not rebuilt each time (~4x faster).
    session.execute(db.insert(session, Call).on_conflict_do_nothing(index_elements=["pbx", "linkedid"]), row)
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
    statement = _merge_statement(db.is_postgres(session), tuple(sorted(fill)), tuple(sorted(overwrite)),
                                 ivr is not None)
    session.execute(statement, row)


@functools.lru_cache(maxsize=64)
def _merge_statement(postgres: bool, fill: Iterable[str], overwrite: Iterable[str], ivr: bool) -> Insert:
    table = CALLS
    statement = (postgresql.insert if postgres else sqlite.insert)(table)
    new = statement.excluded
    changes: dict[str, Any] = {"updated_at": new.updated_at}
    changes.update({key: func.coalesce(table.c[key], new[key]) for key in fill})
    changes.update({key: new[key] for key in overwrite})
    if ivr:
        changes["ivr"] = (sql_cast(sql_cast(table.c.ivr, JSONB).op("||")(sql_cast(new.ivr, JSONB)), JSON)
                          if postgres else func.json_patch(table.c.ivr, new.ivr))
    return statement.on_conflict_do_update(index_elements=["pbx", "linkedid"], set_=changes)


def find_call(session: Session, pbx: str, linkedid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.pbx == pbx, Call.linkedid == linkedid))
