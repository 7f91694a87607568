"""Rows a test has written, read back by primary key: ``session.get`` for a row that must be there."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

M = TypeVar("M")


def row(session: Session, model: type[M], key: Any) -> M:
    """``session.get(model, key)``, failing the test (not returning None) when there is no such row."""
    found = session.get(model, key)
    assert found is not None, f"no {model.__name__} with key {key!r}"
    return found
