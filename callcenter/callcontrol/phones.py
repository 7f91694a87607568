"""Which phone rings for a person at the desk, and which channel is their live call.

An agent's browser softphone (``PJSIP/webrtc<extension>``) comes first
when it is registered, else their desk phone (``AgentProfile.sip_interface``);
Asterisk's device state says which one can ring now, so a click never
waits 30 s on a phone that is not there.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..ami.actions import Actions
from ..ami.control import Controls
from ..ami.link import LinkDown
from ..config import SoftphoneSettings
from ..models import AgentProfile
from ..pbx import webrtc
from ..pbx.values import UnsafeValue
from .errors import CallControlError

T = TypeVar("T")
UNREACHABLE = {"UNAVAILABLE", "INVALID"}
BUSY = {"INUSE", "BUSY", "RINGING", "RINGINUSE", "ONHOLD"}


def phones_of(profile: AgentProfile | None, softphone: SoftphoneSettings) -> list[str]:
    """The person's phones, softphone first; empty if they have none."""
    if profile is None:
        return []
    found = []
    if profile.extension and softphone.enabled and profile.extension in softphone.extensions:
        found.append(webrtc.interface(profile.extension))
    if profile.sip_interface:
        found.append(profile.sip_interface)
    return found


async def free_phone(actions: Actions, phones: list[str]) -> str:
    """The first phone that can ring now; CallControlError says why none can."""
    if not phones:
        raise CallControlError("no_phone", "you have no phone: ask an administrator for an extension")
    states = [(phone, await actions.device_state(phone)) for phone in phones]
    for phone, state in states:
        if state not in UNREACHABLE and state not in BUSY:
            return phone
    if any(state in BUSY for _, state in states):
        raise CallControlError("phone_busy", "your phone is already on a call", phones=phones)
    raise CallControlError("phone_unregistered", "your phone is not registered", phones=phones)


async def live_channel(actions: Actions, phones: list[str]) -> dict[str, str]:
    """The person's channel that is up and bridged now (CoreShowChannels); CallControlError if none."""
    prefixes = tuple(phone + "-" for phone in phones)
    for channel in await actions.channels():
        if channel.get("Channel", "").startswith(prefixes) and channel.get("BridgeId"):
            return channel
    raise CallControlError("no_call", "you are not on a call")


def act(controls: Controls, pbx: str, work: Callable[[Actions], Awaitable[T]]) -> T:
    """Run ``work`` on the PBX's control link; every failure becomes a CallControlError the desk can show."""
    if not pbx:
        raise CallControlError("link_down", "no PBX is configured")
    try:
        return controls.get(pbx).act(work)
    except LinkDown:
        raise CallControlError("link_down", "the AMI link is down; nothing was sent") from None
    except (UnsafeValue, RuntimeError) as exc:
        raise CallControlError("failed", str(exc)) from None
