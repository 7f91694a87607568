"""Which adapter sends each channel's replies: one line per channel, built from the settings."""
from __future__ import annotations

from ..conversations.attachments import AttachmentStore
from ..models import Channel
from .base import Adapter
from .settings import ChannelSettings


def adapters(settings: ChannelSettings, store: AttachmentStore | None = None) -> dict[Channel, Adapter]:
    """The senders of every enabled channel (a channel that is off keeps its replies queued).

    ``store`` holds the files agents attach to replies (e-mail sends them).
    """
    found: dict[Channel, Adapter] = {}
    if settings.email.enabled:
        from .email.smtp import SMTPAdapter

        # A web-form ticket has no channel of its own to answer on: its replies go by e-mail.
        found[Channel.EMAIL] = SMTPAdapter(settings.email, store, Channel.EMAIL)
        found[Channel.WEB] = SMTPAdapter(settings.email, store, Channel.WEB)
    return found
