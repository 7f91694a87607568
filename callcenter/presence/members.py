"""What presence asks of Asterisk: the agent's phone as a member of queues, paused or not.

Every step is idempotent, so the same work signs an agent in, repairs a
membership Asterisk lost (a restart: ``persistentmembers = no``) and
re-applies the desired state after a reconnect.  A member Asterisk already
has (a static one from queues.conf, or one left from before) is only
paused or unpaused; a static member cannot be removed, so signing out
pauses it instead.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ..ami.actions import Actions
from ..ami.live import WRAP_UP_REASON
from ..config import PresenceSettings
from ..models import PresenceState, User
from ..pbx.values import UnsafeValue, checked

# Asterisk's pause reason while we hold an agent out after a queue call (from the answer on);
# the bridge's live state shows such a member as on a call, then in wrap-up.
HOLD_REASON = WRAP_UP_REASON
# A static member who signed out at the desk stays in queues.conf's queue, paused with this.
SIGNED_OUT_REASON = "signed-out"

Work = Callable[[Actions], Coroutine[Any, Any, Any]]
# Runs one piece of work on a PBX's AMI link: (pbx name, work) -> its result.
Link = Callable[[str, Work], Any]


def join(phone: str, queues: list[tuple[str, int]], name: str, paused: bool, reason: str) -> Work:
    """Be a member of each (queue, penalty), paused or not, whether Asterisk had us or not."""
    async def work(actions: Actions) -> list[str]:
        already = []
        for queue, penalty in queues:
            if not await actions.queue_add(queue, phone, name, paused=paused, reason=reason if paused else "",
                                           penalty=penalty):
                already.append(queue)
                await actions.queue_pause(phone, paused, queue=queue, reason=reason if paused else "")
        return already
    return work


def leave(phone: str, queues: list[str]) -> Work:
    """Leave each queue; a static member (or one Asterisk no longer has) is paused where it can be."""
    async def work(actions: Actions) -> list[str]:
        kept = []
        for queue in queues:
            if await actions.queue_remove(queue, phone):
                continue
            kept.append(queue)
            with contextlib.suppress(RuntimeError):  # not a member at all: nothing rings it there
                await actions.queue_pause(phone, True, queue=queue, reason=SIGNED_OUT_REASON)
        return kept
    return work


@dataclass(frozen=True)
class Wanted:
    """What one phone should be: a member of these (queue, penalty), paused or not, under this name."""

    queues: tuple[tuple[str, int], ...]
    name: str
    paused: bool
    reason: str


def reconcile(phones: dict[str, Wanted | None]) -> Work:
    """Make each phone's membership what the database wants, whatever Asterisk had (None: no queue).

    One QueueStatus tells what Asterisk has; a dynamic membership nobody wants
    is removed (an admin took the queue away), a missing one added, a wrong
    penalty set, and each wanted one paused or not.  Static members (queues.conf)
    are only paused or unpaused: they are the config's, not ours to remove.
    """
    async def work(actions: Actions) -> dict[str, list[str]]:
        only = next(iter(phones)) if len(phones) == 1 else None
        have = {(m.get("Queue", ""), m.get("Location", "")): m for m in await actions.queue_members(only)}
        removed: dict[str, list[str]] = {}
        for (queue, phone), member in have.items():
            if phone not in phones or member.get("Membership") != "dynamic":
                continue
            wanted = phones[phone]
            if queue not in {q for q, _ in (wanted.queues if wanted else ())}:
                await actions.queue_remove(queue, phone)
                removed.setdefault(phone, []).append(queue)
        for phone, wanted in phones.items():
            if wanted is not None:
                await _be_member(actions, phone, wanted, have)
        return removed
    return work


async def _be_member(actions: Actions, phone: str, wanted: Wanted, have: dict[tuple[str, str], dict[str, str]]) \
        -> None:
    reason = wanted.reason if wanted.paused else ""
    for queue, penalty in wanted.queues:
        member = have.get((queue, phone))
        if member is None and await actions.queue_add(queue, phone, wanted.name, paused=wanted.paused,
                                                      reason=reason, penalty=penalty):
            continue
        if member is not None and member.get("Penalty") != str(penalty):
            await actions.queue_penalty(phone, penalty, queue)
        await actions.queue_pause(phone, wanted.paused, queue=queue, reason=reason)


def member_name(user: User | None) -> str:
    """The name Asterisk shows for the member: the display name if it may be sent, else the username."""
    if user is None:
        return ""
    try:
        return checked(user.display_name or user.username, "member name", 80)
    except UnsafeValue:
        return user.username[:80]


def asterisk_pause(state: PresenceState, reason: str | None, settings: PresenceSettings) -> tuple[bool, str]:
    """Whether Asterisk should hold the member out, and the reason it shows."""
    if state is PresenceState.PAUSED:
        return True, reason or "paused"
    if state is PresenceState.WRAP_UP or (state is PresenceState.ON_CALL and settings.wrapup_seconds):
        return True, HOLD_REASON
    return False, ""
