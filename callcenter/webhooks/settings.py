"""The ``[webhooks]`` settings: how deliveries are posted and retried."""
from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookSettings(BaseModel):
    """Posting, retrying and giving up; the endpoints themselves are set up by admins (``/admin/webhooks``)."""

    # A receiver that has not answered within this long is tried again later.
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Retries back off from first_retry_seconds, doubling, to at most max_retry_minutes apart; a delivery still
    # failing give_up_hours after its change is dead, its endpoint marked failing and the admins told.
    first_retry_seconds: float = Field(default=5.0, gt=0, le=3600)
    max_retry_minutes: float = Field(default=60.0, gt=0, le=24 * 60)
    give_up_hours: float = Field(default=24.0, gt=0, le=24 * 14)
    # Posts at once per sender process (PostgreSQL: each a thread with its own claims of up to ``batch``;
    # SQLite: one round of ``workers`` claimed, posted at once and settled together).
    workers: int = Field(default=8, ge=1, le=64)
    batch: int = Field(default=20, ge=1, le=1000)
    # A claimed delivery is left to its sender this long (a sender killed mid-post frees it after).
    lease_seconds: float = Field(default=60.0, ge=5, le=3600)
    # How much of a receiver's answer the log keeps.
    keep_response_chars: int = Field(default=2000, ge=0, le=100_000)
    # Endpoint set-ups are read again this often by each process writing deliveries.
    endpoints_seconds: float = Field(default=5.0, ge=0, le=300)
