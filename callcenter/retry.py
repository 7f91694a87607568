"""Waiting before trying again: exponential backoff with jitter and a cap.

The AMI link, the event bus's listener and the writers that wait out a
database restart all back off the same way, so a PBX or database that
comes back is not hit by every process in the same instant.
"""
from __future__ import annotations

import random
from collections.abc import Callable


def delay(attempt: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds before try ``attempt`` (0-based): "equal jitter", between half and all of
    ``base * 2**attempt``, never more than ``cap``."""
    ceiling = min(cap, base * float(2 ** min(attempt, 30)))
    return ceiling / 2 + rng() * ceiling / 2


class Backoff:
    """Successive delays for one thing being retried; ``reset`` once it works again."""

    def __init__(self, base: float, cap: float, rng: Callable[[], float] = random.random) -> None:
        self.base, self.cap, self.rng = base, cap, rng
        self.attempt = 0

    def next(self) -> float:
        seconds = delay(self.attempt, self.base, self.cap, self.rng)
        self.attempt += 1
        return seconds

    def reset(self) -> None:
        self.attempt = 0
