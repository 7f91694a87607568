"""Which adapter sends each channel's replies: one line per channel, built from the settings."""
from __future__ import annotations

from ..access.dialling import DiallingPolicy
from ..conversations.attachments import AttachmentStore
from ..models import Channel
from .base import Adapter
from .settings import ChannelSettings
from .sms import SMSAdapter
from .wechat import WeChatAdapter


def adapters(settings: ChannelSettings, *, policy: DiallingPolicy | None = None, region: str = "US",
             store: AttachmentStore | None = None) -> dict[Channel, Adapter]:
    """The senders of every enabled channel (a channel that is off keeps its replies queued).

    SMS costs money per number: it is never built without the dialling policy that guards it.
    ``store`` holds the files agents attach to replies (e-mail sends them).
    """
    found: dict[Channel, Adapter] = {}
    if settings.email.enabled:
        from .email.smtp import SMTPAdapter

        # A web-form ticket has no channel of its own to answer on: its replies go by e-mail.
        found[Channel.EMAIL] = SMTPAdapter(settings.email, store, Channel.EMAIL)
        found[Channel.WEB] = SMTPAdapter(settings.email, store, Channel.WEB)
    if settings.wechat.enabled:
        found[Channel.WECHAT] = WeChatAdapter(settings.wechat)
    if settings.sms.enabled:
        if policy is None:
            raise ValueError("the SMS channel needs the dialling policy")
        found[Channel.SMS] = SMSAdapter(settings.sms, policy, region)
    return found
