"""The audit log: a transaction's rows are written when it commits, never when it rolls back, secrets dropped."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from callcenter.access import audit
from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import AuditLog


def _rows(session_factory, action: str) -> list[AuditLog]:
    with session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_rows_arrive_with_the_commit_in_order(session_factory) -> None:
    with transaction(session_factory) as s:
        for i in range(500):
            audit.record(s, "bulk_test", Actor.system("tester"), object_type="thing", object_id=i)
        assert _rows(session_factory, "bulk_test") == []  # not before the commit
    rows = _rows(session_factory, "bulk_test")
    assert [r.object_id for r in rows] == [str(i) for i in range(500)]
    assert {r.actor_name for r in rows} == {"tester"} and all(r.at is not None for r in rows)


def test_a_rolled_back_transaction_leaves_no_row_and_the_session_goes_on(session_factory) -> None:
    with session_factory() as s:
        audit.record(s, "rolled_back", Actor.system("tester"))
        s.rollback()
        audit.record(s, "kept", Actor(name="tester", ip="127.0.0.1", via="cli"), token="cc_secret", n=1)
        s.commit()
    assert _rows(session_factory, "rolled_back") == []
    (kept,) = _rows(session_factory, "kept")
    assert kept.ip == "127.0.0.1" and kept.detail == {"via": "cli", "n": 1}  # the token never stored


def test_an_error_inside_a_transaction_loses_its_rows(session_factory) -> None:
    with pytest.raises(RuntimeError), transaction(session_factory) as s:
        audit.record(s, "failed_change", Actor.system("tester"))
        raise RuntimeError("the change failed")
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "failed_change")) == 0
