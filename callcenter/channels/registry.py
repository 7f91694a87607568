"""Which adapter sends each channel's replies: one line per channel, built from the settings."""
from __future__ import annotations

from ..models import Channel
from .base import Adapter
from .settings import ChannelSettings


def adapters(settings: ChannelSettings) -> dict[Channel, Adapter]:
    """The senders of every enabled channel (a channel that is off keeps its replies queued)."""
    found: dict[Channel, Adapter] = {}
    return found
