"""What an edit changed, for its audit row: each field's old and new value."""
from __future__ import annotations

from typing import Any


def apply(row: object, wanted: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set on ``row`` each wanted value that differs; field -> {"old", "new"} of those (empty: no change)."""
    changes = {k: {"old": getattr(row, k), "new": v} for k, v in wanted.items() if getattr(row, k) != v}
    for field, change in changes.items():
        setattr(row, field, change["new"])
    return changes
