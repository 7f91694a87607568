"""Feed recorded AMI text through the same parser and interpreter as live traffic.

Used by the scenario tests and ``bench/ami_ingest.py``: the bytes go
through ``EventProtocol.data_received`` in socket-sized chunks, exactly as
they would arrive from Asterisk.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from .protocol import AMIEvent, EventProtocol

CHUNK = 65536  # what one socket read hands the protocol at most, give or take


class _Factory:
    """Stands in for panoramisk's Manager: no connection, no actions."""

    save_stream = None
    forgetable_actions = ()

    def __init__(self, on_event: Callable[[AMIEvent], None]) -> None:
        self.on_event = on_event
        self.awaiting_actions: deque[Any] = deque()

    def dispatch(self, message: Any) -> None:
        self.on_event(dict(message.items()))

    def connection_lost(self, exc: Exception | None) -> None:
        pass


def protocol_for(on_event: Callable[[AMIEvent], None]) -> EventProtocol:
    protocol = EventProtocol()
    protocol.connection_made(None)
    protocol.factory = _Factory(on_event)
    return protocol


def feed(data: bytes, on_event: Callable[[AMIEvent], None], chunk: int = CHUNK) -> None:
    protocol = protocol_for(on_event)
    for start in range(0, len(data), chunk):
        protocol.data_received(data[start:start + chunk])
