"""The ``[crm]`` settings: where the lookup goes, with which headers, and what of its answer the pop shows."""
from __future__ import annotations

import re
import string

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

# What a lookup address may name; each is URL-quoted before it goes in.
KEYS = ("phone", "email", "customer_id", "external_ref")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class CrmField(BaseModel):
    """One thing the pop shows from the CRM's answer, found by a dotted path (``orders.0.number``)."""

    name: str
    path: str = Field(min_length=1, max_length=200)
    label: str = Field(min_length=1, max_length=80)
    label_zh: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError("a CRM field's name is lower-case letters, digits and _ (an intake form pre-fills "
                             "from crm.<name>)")
        return v


class CrmSettings(BaseModel):
    """Off unless ``urls`` is set.  The first address whose every ``{key}`` the call knows is asked."""

    urls: list[str] = []
    # Sent with every lookup (an API key, a bearer token): secrets, never shown, logged or sent to a browser.
    headers: dict[str, SecretStr] = {}
    timeout_seconds: float = Field(default=8.0, gt=0, le=60)
    # An answer (or "no such customer") is reused this long; a CRM that failed is asked again after retry_seconds.
    cache_seconds: float = Field(default=300.0, ge=0, le=86400)
    retry_seconds: float = Field(default=15.0, ge=0, le=3600)
    # Lookups under way at once, per process (each waits on the network, not a thread).
    max_connections: int = Field(default=100, ge=1, le=1000)
    # Answers larger than this are refused (the pop shows a few fields, not an export).
    max_answer_bytes: int = Field(default=262_144, ge=1024, le=10_485_760)
    fields: list[CrmField] = []

    @field_validator("urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"a CRM lookup address starts with https:// or http://: {url!r}")
            named = {n for _, n, _, _ in string.Formatter().parse(url) if n is not None}
            unknown = named - set(KEYS)
            if unknown or not named:
                raise ValueError(f"a CRM lookup address names one or more of {{{'}, {'.join(KEYS)}}}: {url!r}")
        return urls

    @field_validator("headers")
    @classmethod
    def _headers(cls, headers: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, value in headers.items():
            if not HEADER.match(name) or any(c in value.get_secret_value() for c in "\r\n\0"):
                raise ValueError(f"bad CRM header {name!r}: a name of letters, digits and -, a value on one line")
        return headers

    @model_validator(mode="after")
    def _unique(self) -> CrmSettings:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("each CRM field needs its own name")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.urls)
