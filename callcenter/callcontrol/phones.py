"""Which phone rings for a person at the desk, and which channel is their live call.

An agent's browser softphone (``PJSIP/webrtc<extension>``) comes first
when it is registered, else their desk phone (``AgentProfile.sip_interface``);
Asterisk's device state says which one can ring now, so a click never
waits 30 s on a phone that is not there.
"""
from __future__ import annotations

from ..ami.actions import Actions
from ..config import SoftphoneSettings
from ..models import AgentProfile
from ..pbx import webrtc
from .errors import CallControlError

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
