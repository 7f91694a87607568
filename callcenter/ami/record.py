"""From accumulated facts to the values of one Call row, its legs and recordings.

Everything users read on a call record is decided here: the disposition,
the wait and talk seconds, the normalised caller number.  The result is a
plain, immutable ``CallSnapshot`` the writer thread can persist while the
event loop goes on changing the live call.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..calls.numbers import try_e164
from ..models import CallStatus, Direction, Disposition, LegKind, Party
from ..pbx.values import inert
from .accumulator import AGENT, OUTBOUND, CallInProgress, Leg

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.wav$")
# Causes that mean "someone hung up", not "the network failed".
NORMAL_CAUSES = {None, 0, 16, 17, 18, 19, 21, 31, 127}


def when(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(max(0.0, end - start), 3)


@dataclass(frozen=True)
class RecordingFile:
    name: str                 # relative to the recordings directory
    party: Party
    leg_uniqueid: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    muted_spans: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True)
class CallSnapshot:
    pbx: str
    linkedid: str
    final: bool
    values: dict[str, Any]
    legs: list[dict[str, Any]]
    recordings: list[RecordingFile]
    resynced: bool = False


def disposition(call: CallInProgress) -> Disposition:
    if call.direction == Direction.OUTBOUND.value:
        return _outbound_disposition(call)
    if call.answered_at is not None:
        return Disposition.ANSWERED
    if call.ivr.get("callback_number"):
        return Disposition.CALLBACK_REQUESTED
    if call.voicemail:
        return Disposition.VOICEMAIL
    if call.queued_at is not None:
        return Disposition.ABANDONED_QUEUE
    first = call.first_leg
    if first is not None and first.answered_at is None and first.hangup_cause not in NORMAL_CAUSES:
        return Disposition.FAILED
    return Disposition.ABANDONED_IVR


def _outbound_disposition(call: CallInProgress) -> Disposition:
    customers = [leg for leg in call.legs.values() if leg.kind == OUTBOUND]
    if any(leg.answered_at is not None for leg in customers):
        return Disposition.ANSWERED
    outcomes = {leg.outcome for leg in call.legs.values()}
    if "busy" in outcomes:
        return Disposition.BUSY
    if "no_answer" in outcomes or not customers:
        return Disposition.NO_ANSWER
    return Disposition.FAILED


def _talk_seconds(call: CallInProgress) -> float | None:
    other = AGENT if call.direction == Direction.INBOUND.value else OUTBOUND
    spans = [leg.talk_seconds for leg in call.legs.values() if leg.kind == other and leg.talk_seconds]
    if spans:
        return round(sum(spans), 3)
    return 0.0 if call.ended_at is not None else None


def _party_leg(call: CallInProgress) -> Leg | None:
    """The leg whose hangup cause describes the call: the customer's."""
    if call.direction == Direction.OUTBOUND.value:
        customers = [leg for leg in call.legs.values() if leg.kind == OUTBOUND]
        if customers:
            return customers[-1]
    return call.first_leg


def call_values(call: CallInProgress, region: str) -> dict[str, Any]:
    number = try_e164(call.caller_raw, region) if call.caller_raw else None
    leg = _party_leg(call)
    finished = call.ended_at is not None
    wait_end = call.answered_at or call.queue_left_at or call.ended_at
    values: dict[str, Any] = {
        "direction": Direction(call.direction), "caller_number": number,
        "caller_raw": inert(call.caller_raw), "caller_name": inert(call.caller_name),
        "did": inert(call.did, 40), "language": inert(call.language, 20),
        "ivr": dict(call.ivr), "queue_name": inert(call.queue_name),
        "agents_rung": list(call.agents_rung), "started_at": when(call.started_at),
        "queued_at": when(call.queued_at), "answered_at": when(call.answered_at),
        "transferred_at": when(call.transferred_at), "ended_at": when(call.ended_at),
        "wait_seconds": _span(call.queued_at, wait_end), "talk_seconds": _talk_seconds(call),
        "hold_seconds": round(call.hold_seconds, 3),
    }
    if finished:
        values["hangup_cause"] = leg.hangup_cause if leg else None
        values["hangup_cause_text"] = inert(leg.cause_text) if leg else None
        values["disposition"] = disposition(call)
        values["status"] = CallStatus.INTERRUPTED if call.interrupted else CallStatus.COMPLETE
    return values


def leg_values(leg: Leg) -> dict[str, Any]:
    return {"uniqueid": leg.uniqueid, "channel": inert(leg.channel, 200) or "?",
            "kind": LegKind(leg.kind), "interface": inert(leg.interface),
            "started_at": when(leg.started_at), "answered_at": when(leg.answered_at),
            "ended_at": when(leg.ended_at), "hangup_cause": leg.hangup_cause,
            "outcome": leg.outcome}


def recording_files(call: CallInProgress) -> list[RecordingFile]:
    """MixMonitor's three files per recorded leg (see cc-record-agent in the dialplan)."""
    found = []
    for leg in call.legs.values():
        if not leg.recording:
            continue
        mixed = (leg.mixed_file or "").rsplit("/", 1)[-1] or f"{leg.recording}.wav"
        start = leg.recording_started or leg.answered_at
        spans = [[round(a - start, 3), round(b - start, 3)] for a, b in leg.muted_spans] if start else []
        for name, party in ((mixed, Party.MIXED), (f"{leg.recording}-agent.wav", Party.AGENT),
                            (f"{leg.recording}-caller.wav", Party.CALLER)):
            if _FILE_NAME.match(name) and ".." not in name:
                found.append(RecordingFile(name, party, leg.uniqueid, when(start),
                                           when(leg.ended_at), spans))
    return found


def snapshot(call: CallInProgress, region: str, final: bool = False) -> CallSnapshot:
    return CallSnapshot(call.pbx, call.linkedid, final, call_values(call, region),
                        [leg_values(leg) for leg in call.legs.values()],
                        recording_files(call) if final else [], call.resynced)
