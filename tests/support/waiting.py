"""Waiting in lab tests for something real to happen (a ring, a row, a registration)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T | None], timeout: float, what: str, page: Any = None) -> T:
    """The predicate's first truthy value, polled every 0.2 s; AssertionError naming ``what`` after ``timeout``.

    With a Playwright ``page`` the pause is the page's own, so it keeps delivering events meanwhile.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if page is not None:
            page.wait_for_timeout(200)
        else:
            time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
