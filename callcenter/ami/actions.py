"""Safe AMI actions for the rest of the system: every value is checked first.

panoramisk writes action values verbatim, so a value holding CR/LF would
inject AMI headers, and ``${...}``/``$[...]`` would be evaluated by the
dialplan that later reads the variable.  Such values are refused here,
never cleaned silently.  An Originate is sent at most once per idempotency
key: panoramisk's resend-after-reconnect is disabled in ``connection.py``,
and an Originate whose reply was lost with the link is resolved after the
reconnect by looking for its channel (``ChannelId``), not by sending again.
"""
from __future__ import annotations

import enum
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..pbx.values import UnsafeValue, checked
from . import variables as var

if TYPE_CHECKING:
    from .connection import AMIConnection

MAX_VALUE = 200
_DIAL_TARGET = re.compile(
    r"^(PJSIP|SIP|IAX2|DAHDI|Local)/[A-Za-z0-9+][A-Za-z0-9_.+\-]{0,79}"
    r"(@[A-Za-z0-9][A-Za-z0-9_.\-]{0,79})?(/n)?$")
_CHANNEL = re.compile(r"^[A-Za-z0-9]{1,20}/[A-Za-z0-9_.+@\-;/]{1,150}$")
_DIALPLAN_NAME = re.compile(r"^[A-Za-z0-9+*#][A-Za-z0-9_+*#.\-]{0,79}$")
_VAR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_KEY = re.compile(r"^[a-f0-9]{8,32}$")
_HEADER = re.compile(r"^X-[A-Za-z0-9][A-Za-z0-9\-]{0,40}$")
_CALLER_ID_NUM = re.compile(r"^\+?[0-9]{1,20}$")
CHANNEL_ID_PREFIX = "cc-"


def check_text(what: str, value: Any, max_len: int = MAX_VALUE) -> str:
    """The value as text, or UnsafeValue (control characters, quotes, ${...}): the shared gate."""
    return checked(value, what, max_len)


def _match(what: str, pattern: re.Pattern[str], value: Any) -> str:
    text = check_text(what, value)
    if not pattern.match(text):
        raise UnsafeValue(f"{what}: {text!r} is not allowed here")
    return text


def check_dial_target(value: Any) -> str:
    """A channel to dial: Tech/resource[@endpoint], nothing else."""
    return _match("dial target", _DIAL_TARGET, value)


def check_channel(value: Any) -> str:
    return _match("channel", _CHANNEL, value)


def check_variable(name: Any, value: Any) -> str:
    """``NAME=value`` for an Action's Variable header; commas split variables there."""
    name = _match("variable name", _VAR_NAME, name)
    text = check_text(f"variable {name}", value)
    if "," in text or "|" in text:
        raise UnsafeValue(f"variable {name}: ',' and '|' would split the value")
    return f"{name}={text}"


class OriginateOutcome(str, enum.Enum):
    QUEUED = "queued"        # Asterisk accepted it and is dialling
    FAILED = "failed"        # Asterisk refused it
    DIALLED = "dialled"      # its channel was seen
    UNKNOWN = "unknown"      # the link dropped before the reply: never re-sent


@dataclass
class OriginateResult:
    key: str
    channel_id: str
    outcome: OriginateOutcome
    message: str = ""


class Actions:
    """What other services may ask of one PBX; all arguments validated."""

    def __init__(self, connection: AMIConnection, remember: int = 10000) -> None:
        self.connection = connection
        self._originates: OrderedDict[str, OriginateResult] = OrderedDict()
        self._remember = remember

    async def _send(self, action: dict[str, Any]) -> Any:
        # One reply each: panoramisk would otherwise wait for an event list after "Added ... to queue".
        reply = await self.connection.send(action, as_list=False)
        if not reply.success:
            raise RuntimeError(f"{action['Action']} refused: {reply.get('Message', '')}")
        return reply

    async def originate(self, channel: str, context: str, exten: str = "s", priority: int = 1, *,
                        variables: dict[str, str] | None = None, caller_id: str | None = None,
                        timeout_s: int = 30, key: str | None = None) -> OriginateResult:
        """Place a call once.  The same ``key`` never dials twice (even after a reconnect)."""
        key = key or uuid.uuid4().hex
        if not _KEY.match(key):
            raise UnsafeValue("originate key: 8-32 lowercase hex digits")
        if key in self._originates:
            return self._originates[key]
        action: dict[str, Any] = {
            "Action": "Originate", "ActionID": f"cc-orig-{key}",
            "Channel": check_dial_target(channel), "Context": _match("context", _DIALPLAN_NAME, context),
            "Exten": _match("exten", _DIALPLAN_NAME, exten), "Priority": str(int(priority)),
            "Timeout": str(int(timeout_s) * 1000), "Async": "true",
            "ChannelId": CHANNEL_ID_PREFIX + key,
            "Variable": [check_variable(k, v) for k, v in (variables or {}).items()]
            + [f"{var.ORIGINATE_ID}={key}"]}
        if caller_id is not None:
            action["CallerID"] = _match("caller id", _CALLER_ID_NUM, caller_id)
        result = OriginateResult(key, CHANNEL_ID_PREFIX + key, OriginateOutcome.UNKNOWN)
        self._remember_result(result)  # before sending: a second call with the key never sends
        try:
            reply = await self.connection.send(action, as_list=False)
        except (ConnectionError, TimeoutError) as exc:
            result.message = f"no reply ({exc or type(exc).__name__}); resolved after reconnect"
            return result
        result.outcome = OriginateOutcome.QUEUED if reply.success else OriginateOutcome.FAILED
        result.message = str(reply.get("Message", ""))
        return result

    def _remember_result(self, result: OriginateResult) -> None:
        self._originates[result.key] = result
        while len(self._originates) > self._remember:
            self._originates.popitem(last=False)

    def channel_seen(self, uniqueid: str) -> None:
        """A channel we originated exists: its Originate certainly ran."""
        result = self._originates.get(uniqueid[len(CHANNEL_ID_PREFIX):])
        if result is not None and result.outcome in (OriginateOutcome.UNKNOWN, OriginateOutcome.QUEUED):
            result.outcome = OriginateOutcome.DIALLED

    # -- agents in queues -------------------------------------------------------------
    async def queue_add(self, queue: str, interface: str, member_name: str = "", *, paused: bool = False,
                        reason: str = "", penalty: int = 0) -> bool:
        """Add a dynamic member; False if it was already a member (static or dynamic)."""
        action = {"Action": "QueueAdd", "Queue": _match("queue", _DIALPLAN_NAME, queue),
                  "Interface": check_channel(interface), "StateInterface": check_channel(interface),
                  "MemberName": check_text("member name", member_name, 80),
                  "Paused": "true" if paused else "false", "Reason": check_text("reason", reason),
                  "Penalty": str(max(0, int(penalty)))}
        reply = await self.connection.send(action, as_list=False)
        if reply.success:
            return True
        if "already" in str(reply.get("Message", "")).lower():
            return False
        raise RuntimeError(f"QueueAdd refused: {reply.get('Message', '')}")

    async def queue_remove(self, queue: str, interface: str) -> bool:
        """Remove a dynamic member; False if it was not one (static members stay)."""
        reply = await self.connection.send({"Action": "QueueRemove", "Queue": _match("queue", _DIALPLAN_NAME, queue),
                                            "Interface": check_channel(interface)}, as_list=False)
        if reply.success:
            return True
        message = str(reply.get("Message", "")).lower()
        if "not there" in message or "not dynamic" in message:
            return False
        raise RuntimeError(f"QueueRemove refused: {reply.get('Message', '')}")

    async def queue_penalty(self, interface: str, penalty: int, queue: str) -> None:
        """Change a member's penalty in one queue (higher: rung after the others)."""
        await self._send({"Action": "QueuePenalty", "Interface": check_channel(interface),
                          "Penalty": str(max(0, int(penalty))), "Queue": _match("queue", _DIALPLAN_NAME, queue)})

    async def queue_members(self, interface: str | None = None) -> list[dict[str, str]]:
        """Queue members now (QueueStatus), of every queue, or only ``interface``'s memberships: each with
        Queue, Location (the interface), Membership (dynamic, static, realtime), Penalty, Paused, PausedReason."""
        action = {"Action": "QueueStatus"}
        if interface:
            action["Member"] = check_channel(interface)
        events = await self.connection.send(action, as_list=True)
        return [dict(e) for e in events if e.get("Event") == "QueueMember"]

    async def queue_summary(self) -> list[dict[str, str]]:
        """One QueueSummary event per queue Asterisk has now (name, members logged in, callers)."""
        events = await self.connection.send({"Action": "QueueSummary"}, as_list=True)
        return [dict(e) for e in events if e.get("Event") == "QueueSummary"]

    async def queue_reload(self) -> None:
        """app_queue reads queues.conf (and its includes) again: new queues appear, removed ones go
        once empty, changed settings apply; dynamic members stay (only static members are re-read)."""
        await self._send({"Action": "QueueReload", "Members": "no", "Rules": "yes", "Parameters": "yes"})

    # -- live calls ---------------------------------------------------------------------
    async def channels(self) -> list[dict[str, str]]:
        """Every channel now (CoreShowChannels): name, uniqueid, linkedid, bridge, state."""
        events = await self.connection.send({"Action": "CoreShowChannels"}, as_list=True)
        return [dict(e) for e in events if e.get("Event") == "CoreShowChannel"]

    async def device_state(self, interface: str) -> str:
        """Asterisk's state of a phone (NOT_INUSE, INUSE, RINGING, UNAVAILABLE ...; func_devstate)."""
        reply = await self._send({"Action": "Getvar", "Variable": f"DEVICE_STATE({check_channel(interface)})"})
        return str(reply.get("Value") or "UNKNOWN").upper()

    async def set_variable(self, channel: str, name: str, value: str) -> None:
        assignment = check_variable(name, value)
        await self._send({"Action": "Setvar", "Channel": check_channel(channel),
                          "Variable": name, "Value": assignment.partition("=")[2]})

    async def inherit_header(self, channel: str, header: str, value: str) -> None:
        """A SIP header (X-...) the channels dialled from ``channel`` carry (PJSIP_INHERITABLE_HEADER)."""
        name = _match("header", _HEADER, header)
        text = check_variable("HEADER", value).partition("=")[2]
        await self._send({"Action": "Setvar", "Channel": check_channel(channel),
                          "Variable": f"PJSIP_INHERITABLE_HEADER(add,{name})", "Value": text})

    async def blind_transfer(self, channel: str, context: str, exten: str) -> None:
        """Send the party bridged with ``channel`` to context/exten; ``channel`` leaves the call."""
        await self._send({"Action": "BlindTransfer", "Channel": check_channel(channel),
                          "Context": _match("context", _DIALPLAN_NAME, context),
                          "Exten": _match("exten", _DIALPLAN_NAME, exten)})

    async def attended_transfer(self, channel: str, context: str, exten: str) -> None:
        """``channel`` consults context/exten while its party holds; hanging up completes it."""
        await self._send({"Action": "Atxfer", "Channel": check_channel(channel),
                          "Context": _match("context", _DIALPLAN_NAME, context),
                          "Exten": _match("exten", _DIALPLAN_NAME, exten)})

    async def cancel_attended_transfer(self, channel: str) -> None:
        await self._send({"Action": "CancelAtxfer", "Channel": check_channel(channel)})

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> None:
        await self._send({"Action": "Redirect", "Channel": check_channel(channel),
                          "Context": _match("context", _DIALPLAN_NAME, context),
                          "Exten": _match("exten", _DIALPLAN_NAME, exten), "Priority": str(int(priority))})

    async def hangup(self, channel: str) -> None:
        await self._send({"Action": "Hangup", "Channel": check_channel(channel)})

    async def queue_pause(self, interface: str, paused: bool, queue: str | None = None,
                          reason: str = "") -> None:
        action = {"Action": "QueuePause", "Interface": check_channel(interface),
                  "Paused": "true" if paused else "false", "Reason": check_text("reason", reason)}
        if queue:
            action["Queue"] = _match("queue", _DIALPLAN_NAME, queue)
        await self._send(action)
