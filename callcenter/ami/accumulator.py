"""The calls in progress on one PBX: a mutable record per Linkedid.

wazo-call-logd's raw call log: events only ever add facts here; turning
the facts into a Call row (disposition, seconds) happens once, in
``record.py``, when the writer needs it.  Times are the events' own
``Timestamp`` (epoch seconds), so a replayed transcript gives the same
record as the live call did.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CALLER, AGENT, LOCAL, OUTBOUND = "caller", "agent", "local", "outbound"


def interface_of(channel: str) -> str:
    """``PJSIP/agent1001-0000002a`` -> ``PJSIP/agent1001`` (the queue member's interface)."""
    if channel.startswith("Local/"):
        return channel.partition(";")[0].rsplit("-", 1)[0]
    return channel.rsplit("-", 1)[0] if "-" in channel else channel


@dataclass
class Leg:
    """One channel of the call."""

    uniqueid: str
    channel: str
    kind: str
    started_at: float
    interface: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    hangup_cause: int | None = None
    cause_text: str | None = None
    outcome: str | None = None
    rung: bool = False
    connected: bool = False
    bridged_at: float | None = None
    talk_seconds: float = 0.0
    hold_started: float | None = None
    recording: str | None = None          # CC_RECORDING: MixMonitor base name
    mixed_file: str | None = None         # MIXMONITOR_FILENAME, as the PBX sees it
    recording_started: float | None = None
    muted_at: float | None = None
    muted_spans: list[list[float]] = field(default_factory=list)


@dataclass
class CallInProgress:
    pbx: str
    linkedid: str
    started_at: float
    last_event_at: float
    direction: str = "inbound"
    caller_raw: str | None = None
    caller_name: str | None = None
    did: str | None = None
    language: str | None = None
    ivr: dict[str, Any] = field(default_factory=dict)
    queue_name: str | None = None
    queued_at: float | None = None
    queue_left_at: float | None = None
    agents_rung: list[str] = field(default_factory=list)
    agent_interface: str | None = None
    answered_at: float | None = None
    transferred_at: float | None = None
    ended_at: float | None = None
    hold_seconds: float = 0.0
    voicemail: bool = False
    # Rebuilt from CoreShowChannels after a reconnect: early facts may be missing.
    resynced: bool = False
    interrupted: bool = False
    legs: dict[str, Leg] = field(default_factory=dict)
    live: set[str] = field(default_factory=set)
    # Agents' phones the desk transferred this call to (UserEvent CCTransfer).
    transfer_targets: set[str] = field(default_factory=set)

    @property
    def first_leg(self) -> Leg | None:
        return self.legs.get(self.linkedid) or next(iter(self.legs.values()), None)

    def add_leg(self, uniqueid: str, channel: str, kind: str, at: float) -> Leg:
        leg = self.legs.get(uniqueid)
        if leg is None:
            leg = self.legs[uniqueid] = Leg(uniqueid, channel, kind, at, interface_of(channel))
        self.live.add(uniqueid)
        return leg

    def rung(self, interface: str) -> None:
        self.agents_rung.append(interface)

    def end_leg(self, uniqueid: str, at: float, cause: int | None,
                text: str | None = None) -> Leg | None:
        leg = self.legs.get(uniqueid)
        self.live.discard(uniqueid)
        if leg is None:
            return None
        leg.ended_at = leg.ended_at or at
        if leg.hangup_cause is None:
            leg.hangup_cause, leg.cause_text = cause, text
        self.stop_talk(leg, at)
        self.stop_hold(leg, at)
        if leg.muted_at is not None:
            leg.muted_spans.append([leg.muted_at, at])
            leg.muted_at = None
        return leg

    def stop_talk(self, leg: Leg, at: float) -> None:
        if leg.bridged_at is not None:
            leg.talk_seconds += max(0.0, at - leg.bridged_at)
            leg.bridged_at = None

    def stop_hold(self, leg: Leg, at: float) -> None:
        if leg.hold_started is not None:
            self.hold_seconds += max(0.0, at - leg.hold_started)
            leg.hold_started = None

    def close(self, at: float, interrupted: bool = False) -> None:
        """End every leg still up (the end itself was missed when interrupted)."""
        for uniqueid in list(self.live):
            self.end_leg(uniqueid, at, None)
        self.ended_at = self.ended_at or at
        self.interrupted = self.interrupted or interrupted


class Accumulator:
    """Calls in progress on one PBX, by Linkedid, and their channels by Uniqueid."""

    def __init__(self, pbx: str) -> None:
        self.pbx = pbx
        self.calls: dict[str, CallInProgress] = {}
        self.by_uniqueid: dict[str, str] = {}
        # While a resync runs: channels that hung up (a status list taken
        # before their Hangup must not bring them back) and channels created
        # (a list taken before they existed must not close them).
        self.resyncing = False
        self.ended_since_resync: set[str] = set()
        self.created_since_resync: set[str] = set()

    def begin_resync(self) -> None:
        self.resyncing = True
        self.ended_since_resync.clear()
        self.created_since_resync.clear()

    def end_resync(self) -> None:
        self.resyncing = False
        self.ended_since_resync.clear()
        self.created_since_resync.clear()

    def call_of(self, event: dict[str, str]) -> CallInProgress | None:
        linkedid = event.get("Linkedid")
        if linkedid is None:
            linkedid = self.by_uniqueid.get(event.get("Uniqueid", ""))
        return self.calls.get(linkedid) if linkedid else None

    def start(self, linkedid: str, at: float) -> CallInProgress:
        call = self.calls.get(linkedid)
        if call is None:
            call = self.calls[linkedid] = CallInProgress(self.pbx, linkedid, at, at)
        return call

    def track(self, call: CallInProgress, uniqueid: str) -> None:
        self.by_uniqueid[uniqueid] = call.linkedid

    def forget(self, call: CallInProgress) -> None:
        self.calls.pop(call.linkedid, None)
        for uniqueid in call.legs:
            self.by_uniqueid.pop(uniqueid, None)
