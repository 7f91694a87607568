"""What each PBX knows: the queues it has now, asked over the desk's control link (QueueSummary).

The queues page shows per queue whether every PBX has it (a queue defined
here appears once the AMI service has written the file and reloaded), and
``sync`` turns the queues a PBX has into rows.  A PBX that does not answer
within a moment is reported as unreachable; nothing waits on it longer.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from ..access.audit import Actor
from ..ami.control import ACTION_SECONDS, Controls
from ..db import transaction
from . import discovery

# Seconds the queues page waits for a PBX link that is not up yet.
PAGE_WAIT = 1.5


@dataclass
class Synced:
    added: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def ask(controls: Controls, pbx: str, wait: float = PAGE_WAIT) -> set[str] | None:
    """The queues ``pbx`` has now, or None when it cannot be asked."""
    try:
        control = controls.get(pbx)
    except (KeyError, ConnectionError):  # no such PBX configured
        return None

    async def run() -> list[str]:
        await control.wait_ready(wait)
        return discovery.names_in(await control.actions.queue_summary())
    try:
        return set(control.call(run(), wait + ACTION_SECONDS))
    except (ConnectionError, TimeoutError, RuntimeError, OSError):
        return None


def known(controls: Controls, pbxes: Iterable[str], wait: float = PAGE_WAIT) -> dict[str, set[str] | None]:
    """PBX -> the queues it has (None: unreachable)."""
    return {pbx: ask(controls, pbx, wait) for pbx in pbxes}


def sync(factory: sessionmaker[Session], controls: Controls, pbxes: Iterable[str], actor: Actor) -> Synced:
    """Rows for every queue the PBXs have and we do not (audited as ``queue_discovered``)."""
    result, names = Synced(), set()
    for pbx, found in known(controls, pbxes, wait=5.0).items():
        if found is None:
            result.unreachable.append(pbx)
        else:
            names |= found
    with transaction(factory) as session:
        result.added = discovery.ensure(session, names, actor)
    return result
