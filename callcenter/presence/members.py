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
from typing import Any

from ..ami.actions import Actions
from ..ami.live import WRAP_UP_REASON
from ..models import User
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


def member_name(user: User | None) -> str:
    """The name Asterisk shows for the member: the display name if it may be sent, else the username."""
    if user is None:
        return ""
    try:
        return checked(user.display_name or user.username, "member name", 80)
    except UnsafeValue:
        return user.username[:80]
