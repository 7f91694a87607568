"""After every (re)connect: learn what happened while we were not listening.

``QueueStatus`` rebuilds queue members and waiting callers;
``CoreShowChannels`` says which channels are up.  Calls still up are
adopted (rebuilt if we did not know them); calls we knew whose channels are
all gone ended unseen and are closed as interrupted at the last moment we
heard of them.  Rows still "active" in the database for this PBX with no
channel left get the same treatment, so no call stays open forever.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from typing import Any

from ..models import utcnow
from ..queues import discovery
from .accumulator import AGENT, CallInProgress
from .actions import CHANNEL_ID_PREFIX, Actions
from .connection import AMIConnection
from .interpreter import Interpreter
from .protocol import AMIEvent

log = logging.getLogger(__name__)
# Rows the IVR or the desk created moments ago may not be in the channel list yet.
GRACE = dt.timedelta(seconds=2)


def _items(reply: Any, event: str) -> list[AMIEvent]:
    messages = reply if isinstance(reply, list) else [reply]
    return [dict(m.items()) for m in messages if m.get("Event") == event]


def _duration(channel: AMIEvent) -> float:
    parts = (channel.get("Duration") or "0").split(":")
    try:
        return float(sum(int(p) * 60 ** i for i, p in enumerate(reversed(parts))))
    except ValueError:
        return 0.0


async def resync(connection: AMIConnection, interpreter: Interpreter, actions: Actions,
                 writer: Any | None) -> None:
    acc = interpreter.acc
    acc.begin_resync()
    began, at = utcnow(), time.time()
    try:
        queues = await connection.send({"Action": "QueueStatus"})
        channels = _items(await connection.send({"Action": "CoreShowChannels"}), "CoreShowChannel")
        interpreter.live.reset_queues()
        for member in _items(queues, "QueueMember"):
            interpreter.on_member(member, at)
        adopt(interpreter, channels, at)
        for entry in _items(queues, "QueueEntry"):
            interpreter.on_queue_entry(entry, at)
        for channel in channels:
            actions.channel_seen(channel.get("Uniqueid", ""))
        if writer is not None:
            writer.close_orphans(acc.pbx, set(acc.calls), began - GRACE)
            writer.known_queues(discovery.names_in(queues))  # queues.conf's queues become rows
        log.info("%s: resynced: %d channel(s) up, %d call(s) in progress", acc.pbx, len(channels),
                 len(acc.calls))
    finally:
        acc.end_resync()


def adopt(interpreter: Interpreter, channels: list[AMIEvent], at: float) -> None:
    acc = interpreter.acc
    up = {c["Uniqueid"] for c in channels if c["Uniqueid"] not in acc.ended_since_resync}
    by_call: dict[str, list[AMIEvent]] = defaultdict(list)
    for channel in channels:
        if channel["Uniqueid"] in up:
            by_call[channel["Linkedid"]].append(channel)
    for call in list(acc.calls.values()):
        newer = {u for u in call.live if u in acc.created_since_resync}
        gone = [u for u in call.live if u not in up and u not in newer]
        for uniqueid in gone:
            call.end_leg(uniqueid, call.last_event_at, None)
        if not call.live:
            log.warning("%s/%s: its end was missed; closing it as interrupted", acc.pbx, call.linkedid)
            interpreter.finish(call, call.last_event_at, interrupted=True)
    for linkedid, members in by_call.items():
        _adopt_call(interpreter, linkedid, sorted(members, key=_duration, reverse=True), at)


def _adopt_call(interpreter: Interpreter, linkedid: str, channels: list[AMIEvent], at: float) -> None:
    acc = interpreter.acc
    new = linkedid not in acc.calls
    call = acc.start(linkedid, at - _duration(channels[0]))
    if new:
        call.resynced = True
        first = next((c for c in channels if c["Uniqueid"] == linkedid), channels[0])
        if linkedid.startswith(CHANNEL_ID_PREFIX):
            call.direction = "outbound"
        else:
            call.caller_raw, call.caller_name = first.get("CallerIDNum"), first.get("CallerIDName")
    for channel in channels:
        if channel["Uniqueid"] not in call.legs:
            _adopt_leg(interpreter, call, channel, at)
    if new:
        interpreter.save(call)


def _adopt_leg(interpreter: Interpreter, call: CallInProgress, channel: AMIEvent, at: float) -> None:
    uniqueid = channel["Uniqueid"]
    started = at - _duration(channel)
    interpreter.acc.track(call, uniqueid)
    leg = call.add_leg(uniqueid, channel["Channel"], interpreter.kind_of(call, channel["Channel"]), started)
    if channel.get("ChannelState") == "6":
        leg.answered_at = started
    if channel.get("Application") == "Queue" and not call.queue_name:
        call.queue_name = (channel.get("ApplicationData") or "").split(",")[0] or None
    if leg.kind == AGENT and leg.interface:
        if leg.interface not in call.agents_rung:
            call.rung(leg.interface)
        if channel.get("BridgeId"):
            leg.bridged_at, leg.outcome = at, "answered"
            if call.answered_at is None and call.direction == "inbound":
                call.answered_at, call.agent_interface = started, leg.interface
