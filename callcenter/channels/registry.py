"""Which adapter sends each channel's replies: one line per channel, built from the settings."""
from __future__ import annotations

from ..access.dialling import DiallingPolicy
from ..models import Channel
from .base import Adapter
from .settings import ChannelSettings
from .sms import SMSAdapter
from .wechat import WeChatAdapter


def adapters(settings: ChannelSettings, *, policy: DiallingPolicy | None = None,
             region: str = "US") -> dict[Channel, Adapter]:
    """The senders of every enabled channel (a channel that is off keeps its replies queued).

    SMS costs money per number: it is never built without the dialling policy that guards it.
    """
    found: dict[Channel, Adapter] = {}
    if settings.wechat.enabled:
        found[Channel.WECHAT] = WeChatAdapter(settings.wechat)
    if settings.sms.enabled:
        if policy is None:
            raise ValueError("the SMS channel needs the dialling policy")
        found[Channel.SMS] = SMSAdapter(settings.sms, policy, region)
    return found
