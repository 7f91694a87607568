"""Asking the CRM about a caller, from the server, without ever holding up the pop.

The desk shows the pop at once and then asks ``/desk/calls/<id>/crm``; that
request waits here for the CRM (at most ``timeout_seconds``).  One question
is asked once however many tabs or agents want it (the same future), and its
answer is reused for ``cache_seconds``; a CRM that failed is asked again only
after ``retry_seconds``, so a CRM that is down is not hammered by every ring.

What the caller typed or the phone network sent is URL-quoted before it goes
into an address, so a caller ID cannot change the path or the query.  The
headers (an API key) go to the CRM only: never to a log, a page or a browser.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import string
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as WaitedTooLong
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from .settings import CrmSettings

log = logging.getLogger(__name__)

# How an answer stands: shown, the CRM does not know the caller, the CRM could not be asked, no CRM set up.
FOUND, NOT_FOUND, UNAVAILABLE, OFF = "found", "not_found", "unavailable", "off"
LONGEST_VALUE = 200
CONTROL = dict.fromkeys(range(32), " ")


@dataclass(frozen=True)
class Asked:
    """What we know of the caller that a lookup address may name."""

    phone: str | None = None
    email: str | None = None
    customer_id: int | None = None
    external_ref: str | None = None

    def values(self) -> dict[str, str]:
        return {k: str(v) for k, v in (("phone", self.phone), ("email", self.email),
                                       ("customer_id", self.customer_id), ("external_ref", self.external_ref)) if v}


@dataclass(frozen=True)
class Shown:
    """One mapped field of an answer."""

    name: str
    label: str
    label_zh: str
    value: str


@dataclass(frozen=True)
class Answer:
    state: str
    fields: tuple[Shown, ...] = ()
    at: float = field(default_factory=time.time)

    def as_json(self, zh: bool) -> dict[str, Any]:
        return {"state": self.state, "at": self.at,
                "fields": [{"name": f.name, "label": f.label_zh if zh and f.label_zh else f.label,
                            "value": f.value} for f in self.fields]}


class CrmLookup:
    """The CRM, as the desk asks it.  Thread-safe; one per process (``Container.crm``)."""

    def __init__(self, settings: CrmSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, Future[Answer]]] = {}
        # Lookups wait on the network, not the CPU: one event loop thread carries them all at once.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def answer(self, asked: Asked) -> Answer:
        """The CRM's answer about the caller, waiting for it at most the timeout (and a little more)."""
        if not self.enabled:
            return Answer(OFF)
        address = self.address(asked)
        if address is None:
            return Answer(NOT_FOUND)  # nothing the addresses need: the CRM could not know them either
        try:
            return self._asking(address).result(timeout=self.settings.timeout_seconds + 1)
        except (WaitedTooLong, CancelledError):
            return Answer(UNAVAILABLE)

    def address(self, asked: Asked) -> str | None:
        """The first lookup address whose every key the call knows, filled in (each value URL-quoted)."""
        known = asked.values()
        for template in self.settings.urls:
            named = {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}
            if named <= set(known):
                return template.format(**{k: quote(v, safe="") for k, v in known.items() if k in named})
        return None

    def close(self) -> None:
        with self._lock:
            loop, client, self._loop, self._client = self._loop, self._client, None, None
            self._kept.clear()
        if loop is not None and client is not None:
            asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)

    # -- one question, asked once ------------------------------------------------------------------
    def _asking(self, address: str) -> Future[Answer]:
        now = self._clock()
        with self._lock:
            kept = self._kept.get(address)
            if kept is not None and (not kept[1].done() or kept[0] > now):
                return kept[1]
            loop = self._started()
            future = asyncio.run_coroutine_threadsafe(self._ask(address), loop)
            self._kept[address] = (math.inf, future)
            self._forget_old(now)
        future.add_done_callback(lambda f: self._settled(address, f))
        return future

    def _started(self) -> asyncio.AbstractEventLoop:
        """The loop and its client, made on the first lookup (under the lock)."""
        if self._loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="crm-lookups", daemon=True).start()
            limits = httpx.Limits(max_connections=self.settings.max_connections,
                                  max_keepalive_connections=self.settings.max_connections)
            self._client = httpx.AsyncClient(
                timeout=self.settings.timeout_seconds, follow_redirects=False, limits=limits,
                headers={k: v.get_secret_value() for k, v in self.settings.headers.items()})
            self._loop = loop
        return self._loop

    def _settled(self, address: str, future: Future[Answer]) -> None:
        answer = future.result() if not future.cancelled() else Answer(UNAVAILABLE)
        keep = self.settings.retry_seconds if answer.state == UNAVAILABLE else self.settings.cache_seconds
        with self._lock:
            if self._kept.get(address, (0.0, None))[1] is future:
                self._kept[address] = (self._clock() + keep, future)

    def _forget_old(self, now: float) -> None:
        for address in [a for a, (until, f) in self._kept.items() if f.done() and until <= now]:
            del self._kept[address]

    # -- the request -------------------------------------------------------------------------------
    async def _ask(self, address: str) -> Answer:
        client = self._client
        if client is None:
            return Answer(UNAVAILABLE)
        try:
            async with client.stream("GET", address, headers={"Accept": "application/json"}) as resp:
                if resp.status_code == 404:
                    return Answer(NOT_FOUND)
                if resp.status_code != 200:
                    log.warning("CRM lookup answered %s", resp.status_code)
                    return Answer(UNAVAILABLE)
                body = bytearray()
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > self.settings.max_answer_bytes:
                        log.warning("CRM lookup answer over %s bytes: refused", self.settings.max_answer_bytes)
                        return Answer(UNAVAILABLE)
            data = json.loads(body)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("CRM lookup failed: %s", type(exc).__name__)
            return Answer(UNAVAILABLE)
        return self.mapped(data)

    def mapped(self, data: Any) -> Answer:
        """What the pop shows of an answer: a search's first hit, each set-up field found by its path."""
        if isinstance(data, list):
            data = data[0] if data else None
        if not isinstance(data, dict) or not data:
            return Answer(NOT_FOUND)
        shown = []
        for f in self.settings.fields:
            value = plain(found_at(data, f.path))
            if value:
                shown.append(Shown(f.name, f.label, f.label_zh, value))
        return Answer(FOUND, tuple(shown))


def found_at(data: Any, path: str) -> Any:
    """The value at a dotted path; a number steps into a list (``orders.0.total``)."""
    for step in path.split("."):
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def plain(value: Any) -> str:
    """A value as one line of text: numbers and words as they are, a list of them joined, nothing else."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, str | int | float):
        text = str(value)
    elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value)
    else:
        return ""
    text = " ".join(text.translate(CONTROL).split())
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE - 1] + "…"
