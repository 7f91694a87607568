"""The desk's own AMI link: agent states, click-to-call, transfers, monitoring.

Services that act on a live call from a web request (or the CLI) call
``PBXControl.act`` with a coroutine over the safe ``Actions``; the link is
already up, so an action costs one AMI round trip.  Nothing is queued for
later: if the link is down the caller gets ``LinkDown`` at once and shows
the agent a clear error, and nothing was sent.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..config import AMISettings, PBXSettings
from .actions import Actions
from .link import LinkDown, ThreadedLink

T = TypeVar("T")
# Seconds an action may take once sent (Asterisk answers in milliseconds).
ACTION_SECONDS = 10.0
READY_SECONDS = 5.0


class PBXControl(ThreadedLink):
    def __init__(self, pbx: PBXSettings, ami: AMISettings) -> None:
        super().__init__(pbx, ami, "control")

    def act(self, work: Callable[[Actions], Awaitable[T]], timeout: float = ACTION_SECONDS) -> T:
        """Run ``work(actions)`` once the link is up; LinkDown if it is not within a few seconds."""
        async def run() -> T:
            await self.wait_ready(READY_SECONDS)
            return await work(self.actions)
        return self.call(run(), timeout + READY_SECONDS)


class Controls:
    """One ``PBXControl`` per Asterisk, opened on first use."""

    def __init__(self, pbxes: list[PBXSettings], ami: AMISettings) -> None:
        self._pbxes = {p.name: p for p in pbxes}
        self._default = pbxes[0].name if pbxes else ""
        self._ami = ami
        self._open: dict[str, PBXControl] = {}

    def get(self, name: str | None = None) -> PBXControl:
        """The link to ``name`` (default: the first PBX); LinkDown when no such PBX is configured,
        so every caller answers as for a link that is down (a clear message, nothing sent)."""
        key = name or self._default
        if key not in self._pbxes:
            raise LinkDown(f"no PBX named {key!r} is configured (known: {sorted(self._pbxes)})")
        if key not in self._open:
            self._open[key] = PBXControl(self._pbxes[key], self._ami)
        return self._open[key]

    def close(self) -> None:
        for control in self._open.values():
            control.close()
        self._open.clear()
