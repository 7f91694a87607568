"""The ``channels`` service: the reply sender, and each enabled channel's own listener (IMAP)."""
from __future__ import annotations

from collections.abc import Sequence

from ..runner import Service


class ChannelsService(Service):
    """Several loops started and stopped as one service (the runner's unit)."""

    name = "channels"

    def __init__(self, parts: Sequence[Service]) -> None:
        self.parts = list(parts)

    def start(self) -> None:
        for part in self.parts:
            part.start()

    def stop(self, timeout: float = 10.0) -> None:
        for part in reversed(self.parts):
            part.stop(timeout)

    def alive(self) -> bool:
        return all(part.alive() for part in self.parts)
