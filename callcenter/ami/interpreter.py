"""AMI events -> facts on the calls in progress, live state and named events.

ONE subscription table (``EVENTS``) maps each AMI event to one method
(wazo-calld's bus_consume.py); anything else is logged at debug and
ignored.  Each method adds facts to the accumulator; a call's row is
written early (so the IVR and desk can link to it), again when answered,
and finally once its last channel hangs up.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import ClassVar, Protocol

from ..pbx.values import inert
from . import variables as var
from .accumulator import AGENT, CALLER, LOCAL, OUTBOUND, Accumulator, CallInProgress, Leg, interface_of
from .actions import CHANNEL_ID_PREFIX
from .live import LiveState
from .notifier import Notifier
from .protocol import AMIEvent
from .record import CallSnapshot, disposition, snapshot

log = logging.getLogger(__name__)

_DIAL_OUTCOME = {"ANSWER": "answered", "NOANSWER": "no_answer", "BUSY": "busy",
                 "CONGESTION": "failed", "CHANUNAVAIL": "failed", "CANCEL": "cancelled"}


class Store(Protocol):
    def save(self, snapshot: CallSnapshot) -> None: ...


class Interpreter:
    EVENTS: ClassVar[dict[str, str]] = {
        "Newchannel": "on_newchannel", "Newstate": "on_newstate", "VarSet": "on_varset",
        "Newexten": "on_newexten", "Hangup": "on_hangup",
        "QueueCallerJoin": "on_queue_join", "QueueCallerLeave": "on_queue_leave",
        "QueueCallerAbandon": "on_queue_abandon", "QueueEntry": "on_queue_entry",
        "AgentCalled": "on_agent_called", "AgentConnect": "on_agent_connect",
        "AgentRingNoAnswer": "on_agent_ring_no_answer", "AgentComplete": "on_agent_complete",
        "DialBegin": "on_dial_begin", "DialEnd": "on_dial_end",
        "BridgeEnter": "on_bridge_enter", "BridgeLeave": "on_bridge_leave",
        "Hold": "on_hold", "Unhold": "on_unhold",
        "BlindTransfer": "on_transfer", "AttendedTransfer": "on_transfer",
        "MixMonitorStart": "on_mixmonitor_start", "MixMonitorMute": "on_mixmonitor_mute",
        "QueueMemberStatus": "on_member", "QueueMemberPause": "on_member",
        "QueueMemberAdded": "on_member", "QueueMember": "on_member",
        "QueueMemberRemoved": "on_member_removed",
        "OriginateResponse": "on_originate_response", "UserEvent": "on_user_event",
    }
    VARIABLES: ClassVar[dict[str, str]] = {var.DID: "did", var.LANG: "language"}

    def __init__(self, accumulator: Accumulator, live: LiveState, notifier: Notifier, store: Store,
                 region: str = "US", on_originate: Callable[[AMIEvent], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.acc, self.live, self.notify, self.store = accumulator, live, notifier, store
        self.region = region
        self.on_originate = on_originate
        self.clock = clock
        self._table = {name: getattr(self, method) for name, method in self.EVENTS.items()}

    def handle(self, event: AMIEvent) -> None:
        method = self._table.get(event.get("Event", ""))
        if method is None:
            log.debug("%s: ignoring %s", self.acc.pbx, event.get("Event"))
            return
        stamp = event.get("Timestamp")
        try:
            at = float(stamp) if stamp else self.clock()
            method(event, at)
        except (KeyError, ValueError) as exc:  # a malformed event never stops the bridge
            log.warning("%s: malformed %s event (%s): ignored", self.acc.pbx, event.get("Event"), exc)

    # -- helpers ---------------------------------------------------------------
    def _call(self, event: AMIEvent, at: float) -> CallInProgress | None:
        call = self.acc.call_of(event)
        if call is not None:
            call.last_event_at = at
        return call

    def _leg(self, event: AMIEvent, key: str = "Uniqueid") -> tuple[CallInProgress | None, Leg | None]:
        call = self.acc.call_of(event) or self.acc.calls.get(event.get("DestLinkedid", ""))
        return call, (call.legs.get(event.get(key, "")) if call else None)

    def kind_of(self, call: CallInProgress, channel: str) -> str:
        if channel.startswith("Local/"):
            return LOCAL
        if self.live.is_agent(interface_of(channel)):
            return AGENT
        if not call.legs and call.direction == "inbound":
            return CALLER
        return OUTBOUND

    def _reclassify(self, call: CallInProgress, leg: Leg) -> None:
        """A dialled channel turns out to be an agent's (a transfer to a colleague, even one in no queue)."""
        if leg.kind == OUTBOUND and (self.live.is_agent(leg.interface) or leg.interface in call.transfer_targets):
            leg.kind = AGENT

    def save(self, call: CallInProgress, final: bool = False) -> None:
        self.store.save(snapshot(call, self.region, final))

    # -- channels --------------------------------------------------------------
    def on_newchannel(self, ev: AMIEvent, at: float) -> None:
        uniqueid, linkedid, channel = ev["Uniqueid"], ev["Linkedid"], ev["Channel"]
        new = linkedid not in self.acc.calls
        call = self.acc.start(linkedid, at)
        call.last_event_at = at
        if new and linkedid.startswith(CHANNEL_ID_PREFIX):
            call.direction = "outbound"
        elif new:
            call.caller_raw, call.caller_name = ev.get("CallerIDNum"), ev.get("CallerIDName")
        self.acc.track(call, uniqueid)
        if self.acc.resyncing:
            self.acc.created_since_resync.add(uniqueid)
        call.add_leg(uniqueid, channel, self.kind_of(call, channel), at)
        if new:
            self.notify.call_started(call)
            self.save(call)
        if uniqueid.startswith(CHANNEL_ID_PREFIX) and self.on_originate is not None:
            self.on_originate(ev)

    def on_newstate(self, ev: AMIEvent, at: float) -> None:
        if ev.get("ChannelState") == "6":
            _, leg = self._leg(ev)
            if leg is not None and leg.answered_at is None:
                leg.answered_at = at

    def on_varset(self, ev: AMIEvent, at: float) -> None:
        name = ev.get("Variable", "")
        if not name.startswith(("CC_", "MIXMONITOR_")):
            return
        call, leg = self._leg(ev)
        if call is None:
            return
        value = inert(ev.get("Value"), 255)
        if name in self.VARIABLES:
            setattr(call, self.VARIABLES[name], value)
        if name in var.IVR_KEYS:
            key = var.IVR_KEYS[name]
            if value is None:
                call.ivr.pop(key, None)
            else:
                call.ivr[key] = value
        elif leg is not None and name == var.RECORDING:
            leg.recording = value
        elif leg is not None and name == var.MIXMONITOR_FILENAME:
            leg.mixed_file = value
        if name == var.CALLBACK_NUMBER and call.direction == "outbound" and value:
            call.caller_raw = value

    def on_newexten(self, ev: AMIEvent, at: float) -> None:
        if ev.get("Application") == "VoiceMail":
            call = self._call(ev, at)
            if call is not None:
                call.voicemail = True

    def on_hangup(self, ev: AMIEvent, at: float) -> None:
        uniqueid = ev["Uniqueid"]
        if self.acc.resyncing:
            self.acc.ended_since_resync.add(uniqueid)
        call = self._call(ev, at)
        if call is None:
            return
        cause = ev.get("Cause", "")
        leg = call.end_leg(uniqueid, at, int(cause) if cause.isdigit() else None, ev.get("Cause-txt"))
        if leg is not None and leg.outcome is None and leg.kind != CALLER:
            leg.outcome = "answered" if leg.answered_at else "no_answer"
        for queue in self.live.queues.values():
            if self.live.leave(queue.name, uniqueid):
                self.notify.queue_changed(self.acc.pbx, queue, at)
        if not call.live:
            self.finish(call, at)

    def finish(self, call: CallInProgress, at: float, interrupted: bool = False) -> None:
        call.close(at, interrupted)
        self.save(call, final=True)
        self.notify.call_ended(call, disposition(call).value,
                               "interrupted" if call.interrupted else "complete")
        self.acc.forget(call)

    # -- queues ----------------------------------------------------------------
    def on_queue_join(self, ev: AMIEvent, at: float) -> None:
        call = self._call(ev, at)
        if call is not None:
            call.queue_name = inert(ev["Queue"])
            call.queued_at = call.queued_at or at
            call.queue_left_at = None
            self.notify.call_queued(call, ev["Queue"])
        if self.live.join(ev["Queue"], ev["Uniqueid"], at):
            self.notify.queue_changed(self.acc.pbx, self.live.queue(ev["Queue"]), at)

    def on_queue_leave(self, ev: AMIEvent, at: float) -> None:
        call = self._call(ev, at)
        if call is not None and call.answered_at is None:
            call.queue_left_at = at
        if self.live.leave(ev["Queue"], ev["Uniqueid"]):
            self.notify.queue_changed(self.acc.pbx, self.live.queue(ev["Queue"]), at)

    def on_queue_abandon(self, ev: AMIEvent, at: float) -> None:
        call = self._call(ev, at)
        if call is not None:
            call.queue_left_at = at

    def on_queue_entry(self, ev: AMIEvent, at: float) -> None:
        """A QueueStatus list item: someone waiting since ``Wait`` seconds."""
        joined = at - float(ev.get("Wait") or 0)
        call = self.acc.calls.get(self.acc.by_uniqueid.get(ev["Uniqueid"], ""))
        if call is not None:
            call.queue_name = call.queue_name or inert(ev["Queue"])
            call.queued_at = call.queued_at or joined
        if self.live.join(ev["Queue"], ev["Uniqueid"], joined):
            self.notify.queue_changed(self.acc.pbx, self.live.queue(ev["Queue"]), at)

    # -- agents ----------------------------------------------------------------
    def on_agent_called(self, ev: AMIEvent, at: float) -> None:
        call, leg = self._leg(ev, "DestUniqueid")
        interface = ev["Interface"]
        self.live.agent(interface)
        if call is None:
            return
        call.last_event_at = at
        call.rung(interface)
        if leg is not None:
            leg.kind, leg.interface, leg.rung = AGENT, interface, True
        self.notify.call_ringing_agent(call, interface, at)

    def on_agent_connect(self, ev: AMIEvent, at: float) -> None:
        call, leg = self._leg(ev, "DestUniqueid")
        if call is not None and leg is not None:
            self._agent_answered(call, leg, at)

    def on_agent_ring_no_answer(self, ev: AMIEvent, at: float) -> None:
        call, leg = self._leg(ev, "DestUniqueid")
        if leg is not None:
            leg.outcome = "no_answer"
        if call is not None and ev.get("Interface"):
            self.notify.call_ring_stopped(call, ev["Interface"])

    def on_agent_complete(self, ev: AMIEvent, at: float) -> None:
        call = self._call(ev, at)
        if call is not None and ev.get("Reason") == "transfer" and call.transferred_at is None:
            call.transferred_at = at
        changed = self.live.call_completed(ev["Interface"], at, at)
        if changed is not None:
            self.notify.agent_state_changed(self.acc.pbx, changed)

    def _agent_answered(self, call: CallInProgress, leg: Leg, at: float) -> None:
        if leg.connected:  # DialEnd and AgentConnect both say so
            return
        leg.connected = True
        leg.answered_at = leg.answered_at or at
        leg.outcome = "answered"
        if call.direction == "outbound":
            call.agent_interface = call.agent_interface or leg.interface
            return
        first = call.answered_at is None
        if first:
            call.answered_at, call.agent_interface = at, leg.interface
        elif leg.interface != call.agent_interface and call.transferred_at is None:
            call.transferred_at = at
            self.notify.call_transferred(call, leg.interface)
        self.notify.call_answered(call, leg.interface)
        if first:
            self.save(call)

    def on_member(self, ev: AMIEvent, at: float) -> None:
        changed = self.live.member_status(ev, at)
        if changed is not None:
            self.notify.agent_state_changed(self.acc.pbx, changed)

    def on_member_removed(self, ev: AMIEvent, at: float) -> None:
        self.live.removed(ev.get("Interface", ""), ev.get("Queue", ""))

    # -- dialling and bridges --------------------------------------------------
    def on_dial_begin(self, ev: AMIEvent, at: float) -> None:
        call, leg = self._leg(ev, "DestUniqueid")
        if call is None or leg is None:
            return
        self._reclassify(call, leg)
        if leg.kind == AGENT and not leg.rung and leg.interface:
            leg.rung = True
            call.rung(leg.interface)
            self.notify.call_ringing_agent(call, leg.interface, at)
        elif call.direction == "outbound" and leg.kind == OUTBOUND and not call.caller_raw:
            call.caller_raw = ev.get("DialString", "").partition("@")[0] or None

    def on_dial_end(self, ev: AMIEvent, at: float) -> None:
        call, leg = self._leg(ev, "DestUniqueid")
        if call is None or leg is None:
            return
        self._reclassify(call, leg)
        status = ev.get("DialStatus", "")
        if leg.outcome in (None, "cancelled"):
            leg.outcome = _DIAL_OUTCOME.get(status, leg.outcome)
        if status != "ANSWER":
            return
        leg.answered_at = leg.answered_at or at
        if leg.kind == AGENT:
            self._agent_answered(call, leg, at)
        elif call.direction == "outbound" and leg.kind == OUTBOUND and call.answered_at is None:
            call.answered_at = at
            self.notify.call_answered(call, call.agent_interface)
            self.save(call)

    def on_bridge_enter(self, ev: AMIEvent, at: float) -> None:
        _, leg = self._leg(ev)
        if leg is not None:
            leg.bridged_at = at

    def on_bridge_leave(self, ev: AMIEvent, at: float) -> None:
        call, leg = self._leg(ev)
        if call is not None and leg is not None:
            call.stop_talk(leg, at)

    def on_hold(self, ev: AMIEvent, at: float) -> None:
        _, leg = self._leg(ev)
        if leg is not None and leg.hold_started is None:
            leg.hold_started = at

    def on_unhold(self, ev: AMIEvent, at: float) -> None:
        call, leg = self._leg(ev)
        if call is not None and leg is not None:
            call.stop_hold(leg, at)

    def on_transfer(self, ev: AMIEvent, at: float) -> None:
        if ev.get("Result") != "Success":
            return
        for key in ("TransfereeLinkedid", "TransfererLinkedid", "OrigTransfererLinkedid"):
            call = self.acc.calls.get(ev.get(key, ""))
            if call is not None and call.transferred_at is None:
                call.transferred_at = at
                self.notify.call_transferred(call, None)

    def on_user_event(self, ev: AMIEvent, at: float) -> None:
        """``CCTransfer`` from the cc-transfer-* contexts: the desk moved the call (Target: where to)."""
        if ev.get("UserEvent") != "CCTransfer":
            return
        call = self._call(ev, at)
        if call is None:
            return
        target = inert(ev.get("Target")) or ""
        if target.startswith("PJSIP/"):
            call.transfer_targets.add(target)  # its Dial next rings an agent: pop their desk
        if call.transferred_at is None:
            call.transferred_at = at
            self.notify.call_transferred(call, target if target.startswith("PJSIP/") else None)

    def on_mixmonitor_start(self, ev: AMIEvent, at: float) -> None:
        _, leg = self._leg(ev)
        if leg is not None:
            leg.recording_started = leg.recording_started or at

    def on_mixmonitor_mute(self, ev: AMIEvent, at: float) -> None:
        _, leg = self._leg(ev)
        if leg is None:
            return
        if ev.get("State") == "1" and leg.muted_at is None:
            leg.muted_at = at
        elif ev.get("State") == "0" and leg.muted_at is not None:
            leg.muted_spans.append([leg.muted_at, at])
            leg.muted_at = None

    def on_originate_response(self, ev: AMIEvent, at: float) -> None:
        if self.on_originate is not None:
            self.on_originate(ev)

    def expire(self, now: float) -> None:
        """Timer tick: agents whose wrap-up time is over become available."""
        for agent in self.live.expire_wrapups(now):
            self.notify.agent_state_changed(self.acc.pbx, agent)

