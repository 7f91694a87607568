"""API request and response shapes; the OpenAPI document is generated from them."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorOut(BaseModel):
    error: str
    message: str
    fields: dict[str, str] = {}


class CallOut(BaseModel):
    id: int
    pbx: str
    linkedid: str
    direction: str
    status: str
    caller_number: str | None
    caller_name: str | None
    did: str | None
    queue: str | None
    agent_id: int | None
    customer_id: int | None
    ticket_id: int | None
    ivr: dict[str, Any]
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    wait_seconds: float | None
    talk_seconds: float | None
    disposition: str | None
    hangup_cause: int | None
    recording_ids: list[int]


class TicketOut(BaseModel):
    id: int
    number: str
    subject: str
    description: str
    category: str
    priority: str
    status: str
    customer_id: int | None
    origin_call_id: int | None
    assignee_id: int | None
    queue_id: int | None
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketIn(BaseModel):
    model_config = STRICT
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    category: str = Field(default="general", min_length=1, max_length=80, pattern=r"^[a-z0-9_]+$")
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    customer_id: int | None = None
    call_id: int | None = None


class TicketPatch(BaseModel):
    model_config = STRICT
    status: Literal["new", "open", "pending", "resolved", "closed"] | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    note: str | None = Field(default=None, max_length=20000)
    reason: str = Field(default="", max_length=500)


class CustomerOut(BaseModel):
    id: int
    name: str
    company: str | None
    email: str | None
    language: str
    vip_tier: str
    phones: list[str]
    external_ref: str | None


class CustomerIn(BaseModel):
    model_config = STRICT
    name: str = Field(min_length=1, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    language: Literal["en", "zh"] = "en"
    vip_tier: Literal["none", "silver", "gold", "platinum"] = "none"
    phones: list[str] = Field(min_length=1, max_length=10)
    external_ref: str | None = Field(default=None, max_length=200)


class CallbackOut(BaseModel):
    id: int
    number: str
    source: str
    status: str
    due_at: dt.datetime
    attempts: int
    call_id: int | None
    ticket_id: int | None
    customer_id: int | None


class CallbackIn(BaseModel):
    model_config = STRICT
    number: str = Field(min_length=3, max_length=32)
    due_at: dt.datetime
    ticket_id: int | None = None
    customer_id: int | None = None


class SurveyOut(BaseModel):
    id: int
    channel: str
    status: str
    score: int | None
    call_id: int | None
    ticket_id: int | None
    agent_id: int | None
    completed_at: dt.datetime | None


class Page(BaseModel):
    items: list[Any]
    total: int
    limit: int
    offset: int
