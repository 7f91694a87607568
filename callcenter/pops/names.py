"""What the desk calls a call's category and queue, in English and Chinese.

A category is named by its intake form's title, a queue by its display
name (a queue without one by the form of the category it is named after).
Admins change them rarely, so the pop path reads them from memory,
reloaded every ``ttl`` seconds: a ring costs no extra query.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..forms.catalog import active_forms
from ..models import Queue

# {"en": "Technical support", "zh": "技术支持"}
Label = dict[str, str]


class Names:
    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._loaded = -1e9
        self._categories: dict[str, Label] = {}
        self._queues: dict[str, Label] = {}

    def labels(self, session: Session, categories: Iterable[str | None],
               queues: Iterable[str | None]) -> dict[str, dict[str, Label]]:
        """The labels of these categories and queues (only those: they travel in the pop)."""
        with self._lock:
            stale = time.monotonic() - self._loaded > self.ttl
        if stale:
            self._load(session)
        with self._lock:
            return {"category": {c: self._category(c) for c in categories if c},
                    "queue": {q: self._queue(q) for q in queues if q}}

    def _load(self, session: Session) -> None:
        categories = {f.category: {"en": f.title, "zh": str((f.schema or {}).get("title_zh") or "")}
                      for f in active_forms(session)}
        queues = {name: {"en": en, "zh": zh} for name, en, zh in session.execute(
            select(Queue.name, Queue.display_name, Queue.display_name_zh)).tuples() if en or zh}
        with self._lock:
            self._categories, self._queues, self._loaded = categories, queues, time.monotonic()

    def _category(self, code: str) -> Label:
        return self._categories.get(code) or self._queues.get(code) or {"en": code}

    def _queue(self, name: str) -> Label:
        return self._queues.get(name) or self._categories.get(name) or {"en": name}
