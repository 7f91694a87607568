"""Which agent is behind an Asterisk interface: their desk phone or their browser softphone.

An agent may have a desk SIP phone (``AgentProfile.sip_interface``) and a
browser softphone (``PJSIP/webrtc<extension>``); a ring on either pops the
same desk and counts as the same agent everywhere.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AgentProfile
from ..pbx import webrtc


def interfaces_by_agent(session: Session) -> dict[str, int]:
    """Every interface that rings an agent -> that agent's user id."""
    found: dict[str, int] = {}
    for sip, extension, user_id in session.execute(
            select(AgentProfile.sip_interface, AgentProfile.extension, AgentProfile.user_id)):
        if extension:
            found[webrtc.interface(extension)] = user_id
        if sip:
            found[sip] = user_id
    return found


def phones_of(profile: AgentProfile) -> list[str]:
    """The agent's interfaces, desk phone first."""
    return [i for i in (profile.sip_interface, webrtc.interface(profile.extension) if profile.extension else None)
            if i]
