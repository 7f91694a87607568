"""The ``[channels]`` settings: how each channel reaches us and how we answer on it."""
from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class EmailSettings(BaseModel):
    """One support mailbox: read by IMAP, answered over SMTP."""

    enabled: bool = False
    # The address customers write to, and our replies' From.
    address: str = "support@localhost"
    display_name: str = "Support"
    imap_host: str = "127.0.0.1"
    imap_port: int = 993
    imap_ssl: bool = True
    imap_starttls: bool = False
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    mailbox: str = "INBOX"
    # Move a stored message here; empty: mark it \\Seen where it is.
    processed_folder: str = ""
    # IMAP IDLE when the server offers it, else poll every ``poll_seconds``.
    idle: bool = True
    idle_seconds: float = Field(default=60.0, gt=0)
    poll_seconds: float = Field(default=30.0, gt=0)
    fetch_batch: int = Field(default=100, ge=1, le=5000)
    # A message over this is stored as a refusal note, not lost silently.
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 30.0
    # The right-hand side of our Message-IDs: a reply that carries one of them is ours (loops).
    message_id_domain: str = "callcenter.localhost"
    # A customer writing about a closed ticket within this many days reopens it; later, a new ticket.
    reopen_days: int = Field(default=14, ge=0)


class WeChatSettings(BaseModel):
    """A WeChat Official Account in plaintext mode (the server callback and the customer-service API)."""

    enabled: bool = False
    # The token typed in the Official Account's server settings: it signs every callback.
    token: SecretStr = SecretStr("")
    app_id: str = ""
    app_secret: SecretStr = SecretStr("")
    api_base: str = "https://api.weixin.qq.com"
    timeout: float = 10.0
    # Callbacks older than this (by their timestamp) are refused: a replayed request.
    max_age_seconds: int = Field(default=300, ge=10)


class SMSSettings(BaseModel):
    """A generic HTTP SMS gateway: it posts inbound texts to us, we post replies to it."""

    enabled: bool = False
    # Our number (or sender id) the gateway sends from.
    sender: str = ""
    send_url: str = ""
    # Sent as ``Authorization: Bearer <token>`` on every send request.
    send_token: SecretStr = SecretStr("")
    # Inbound webhooks carry ``X-Signature: sha256=<hex HMAC of the body>`` under this secret.
    inbound_secret: SecretStr = SecretStr("")
    timeout: float = 10.0


class WebFormSettings(BaseModel):
    """The public contact form (no sign-in)."""

    enabled: bool = True
    categories: list[str] = Field(default_factory=lambda: ["general", "billing", "technical", "complaint"])
    # Submissions per address (IP, and the e-mail given) per hour.
    per_address_per_hour: int = Field(default=5, ge=1)
    max_files: int = Field(default=3, ge=0, le=20)


class DeliverySettings(BaseModel):
    """How replies are sent: the ``channels`` service's loop and its retries."""

    poll_seconds: float = Field(default=2.0, gt=0)
    batch: int = Field(default=50, ge=1, le=1000)
    # Seconds to wait before each next attempt; after the last, the reply fails for a person to see.
    retry_delays: list[int] = Field(default_factory=lambda: [30, 120, 600, 1800])


class ChannelSettings(BaseModel):
    email: EmailSettings = Field(default_factory=EmailSettings)
    wechat: WeChatSettings = Field(default_factory=WeChatSettings)
    sms: SMSSettings = Field(default_factory=SMSSettings)
    webform: WebFormSettings = Field(default_factory=WebFormSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
