"""Live streams are capped: a few per user (a new one ends the oldest, promptly), a bounded number in all (503).

Finding 6 of the security review: one user could open unlimited desk
streams, each holding a server thread, until nobody else got a page.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Any

import pytest

from callcenter.config import Settings, WebSettings

from .deskdata import PASSWORD
from .webtools import sign_in

TOTAL = 4


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'streams.db'}"  # nothing here depends on the engine


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"web": settings.web.model_copy(update={"max_streams_total": TOTAL})})


@pytest.fixture(autouse=True)
def _end_streams(app):
    yield
    slots = app.extensions.get("streams")
    if slots is not None:
        slots.close_all()  # the readers' threads end now, not at their next keepalive


class Reader:
    """One open stream, read on its own thread (as the server would): its events, and when it ended."""

    def __init__(self, app, name: str, path: str = "/desk/events") -> None:
        self.events: queue.Queue[str] = queue.Queue()
        self.ended = threading.Event()
        self.stop = threading.Event()
        self.status = 0
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(app, name, path), daemon=True)
        self.thread.start()
        assert self.opened.wait(20), "stream did not open"

    def _run(self, app, name: str, path: str) -> None:
        client = app.test_client()
        sign_in(client, name, PASSWORD)
        response = client.get(path, headers={"Accept": "text/event-stream"})
        self.status = response.status_code
        if self.status != 200:
            self.opened.set()
            return
        chunks = iter(response.response)
        assert next(chunks).startswith(b"retry:")
        self.opened.set()
        try:
            for chunk in chunks:
                text = chunk.decode() if isinstance(chunk, bytes) else chunk
                if text.startswith("event:"):
                    self.events.put(text.split("\n", 1)[0].split(":", 1)[1].strip())
                if self.stop.is_set():
                    break
        finally:
            response.close()
            self.ended.set()

    def close(self) -> None:
        self.stop.set()


def _slots(app) -> Any:
    return app.extensions["streams"]


def test_settings_and_their_defaults() -> None:
    web = WebSettings()
    assert web.max_streams_per_user == 3
    assert web.stream_limit() == web.threads - 32
    assert WebSettings(max_streams_total=7).stream_limit() == 7


def test_one_stream_too_many_ends_the_users_oldest_at_once(app, shop) -> None:
    readers = [Reader(app, "ann") for _ in range(3)]
    started = time.monotonic()
    newest = Reader(app, "ann")
    assert readers[0].ended.wait(3), "the oldest stream did not end"
    assert time.monotonic() - started < 3  # long before its 15 s keepalive
    assert readers[0].events.get(timeout=1) == "replaced"
    assert not any(r.ended.is_set() for r in [*readers[1:], newest])
    assert _slots(app).count(shop.users["ann"]) == 3
    for r in [*readers[1:], newest]:
        r.close()


def test_the_wallboard_stream_is_capped_too(app, shop) -> None:
    readers = [Reader(app, "sue", "/wallboard/events") for _ in range(4)]
    assert readers[0].ended.wait(3) and not readers[1].ended.is_set()
    assert "replaced" in [readers[0].events.get(timeout=1) for _ in range(2)]
    for r in readers[1:]:
        r.close()


def test_past_the_total_a_stream_is_refused_with_503_and_retry_after(app, shop) -> None:
    readers = [Reader(app, name) for name in ("ann", "bob", "sue", "ada")]
    client = app.test_client()
    sign_in(client, "sam", PASSWORD)
    as_json = client.get("/desk/events", headers={"Accept": "application/json"})
    assert as_json.status_code == 503 and as_json.headers["Retry-After"] == "30"
    assert as_json.get_json()["error"] == "too_many_streams"
    as_text = client.get("/desk/events", headers={"Accept": "text/event-stream", "Accept-Language": "zh"})
    assert as_text.status_code == 503 and as_text.headers["Retry-After"] == "30"
    assert as_text.mimetype == "text/plain" and "请" in as_text.get_data(as_text=True)
    assert _slots(app).count() == TOTAL  # the refusals took nothing
    for r in readers:
        r.close()


def _elsewhere(fn: Any) -> Any:
    """Run ``fn`` on another thread: the stream read here keeps its request context pushed on this one."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join(20)
    return out[0]


def test_closing_a_stream_frees_its_slot(app, shop) -> None:
    readers = [Reader(app, name) for name in ("ann", "bob", "sue")]
    other = app.test_client()
    sign_in(other, "sam", PASSWORD)

    def sam_opens() -> int:
        resp = other.get("/desk/events")
        resp.close()  # closed before its first byte: freed all the same
        return int(resp.status_code)

    client = app.test_client()
    sign_in(client, "ada", PASSWORD)
    mine = client.get("/desk/events")
    assert next(iter(mine.response)).startswith(b"retry:")
    assert _elsewhere(sam_opens) == 503
    mine.close()  # the browser went away
    assert _slots(app).count() == TOTAL - 1
    assert _elsewhere(sam_opens) == 200
    assert _slots(app).count() == TOTAL - 1
    assert _elsewhere(sam_opens) == 200
    for r in readers:
        r.close()
