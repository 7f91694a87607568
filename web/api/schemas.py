"""API request and response shapes; the OpenAPI document is generated from them."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from callcenter import days
from callcenter.conversations.timeline import Entry
from callcenter.i18n import N_
from callcenter.inputs import parsers
from callcenter.models import Attachment, Call, Callback, Customer, Message, Survey, Ticket, TicketChange, TicketNote

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _storable(value: str) -> str:
    """No NUL or lone surrogate: PostgreSQL and UTF-8 cannot store them (a 500 before)."""
    try:
        return parsers.text(value, "text", len(value))
    except parsers.InvalidInput:
        raise ValueError("text without NUL or invalid characters") from None


def _in_our_years(value: dt.datetime) -> dt.datetime:
    if not days.FIRST_YEAR <= value.year <= days.LAST_YEAR:
        raise ValueError(f"a time in the years {days.FIRST_YEAR} to {days.LAST_YEAR}")
    return value


Id = Annotated[int, Field(ge=1, le=parsers.MAX_ID)]
Text = Annotated[str, AfterValidator(_storable)]
Moment = Annotated[dt.datetime, AfterValidator(_in_our_years)]


class ProblemOut(BaseModel):
    """RFC 9457 problem details; ``error`` (a short code), ``message`` and ``fields`` are our extension members."""

    type: str = Field(description=N_("'about:blank': the status and title say what happened"))
    title: str = Field(description=N_("The HTTP status phrase"))
    status: int
    detail: str
    error: str = Field(description=N_("A short code: bad_request, unauthorized, forbidden, not_found, invalid ..."))
    message: str = Field(description=N_("Same as detail (kept for clients written before problem details)"))
    fields: dict[str, str] = Field(description=N_("Which field (or parameter) is wrong, and what would do"))


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

    @classmethod
    def of(cls, c: Call) -> CallOut:
        return cls(id=c.id, pbx=c.pbx, linkedid=c.linkedid, direction=c.direction.value, status=c.status.value,
                   caller_number=c.caller_number, caller_name=c.caller_name, did=c.did, queue=c.queue_name,
                   agent_id=c.agent_id, customer_id=c.customer_id, ticket_id=c.ticket_id, ivr=c.ivr or {},
                   started_at=c.started_at, answered_at=c.answered_at, ended_at=c.ended_at,
                   wait_seconds=c.wait_seconds, talk_seconds=c.talk_seconds,
                   disposition=c.disposition.value if c.disposition else None, hangup_cause=c.hangup_cause,
                   recording_ids=[r.id for r in c.recordings if r.purged_at is None])


class ReferenceOut(BaseModel):
    system: str = Field(description=N_("The other system, as its integration names itself (erp, crm ...)"))
    ref: str = Field(description=N_("The ticket's id in that system"))
    url: str | None


class ReferenceIn(BaseModel):
    model_config = STRICT
    system: Text = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    ref: Text = Field(min_length=1, max_length=200)
    url: Text | None = Field(default=None, max_length=2000)


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
    references: list[ReferenceOut] = Field(description=N_("The ticket's records in other systems"))

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        return cls(id=t.id, number=t.number or "", subject=t.subject, description=t.description,
                   category=t.category, priority=t.priority.value, status=t.status.value,
                   customer_id=t.customer_id, origin_call_id=t.origin_call_id, assignee_id=t.assignee_id,
                   queue_id=t.queue_id, first_response_due_at=t.first_response_due_at,
                   resolution_due_at=t.resolution_due_at, created_at=t.created_at, updated_at=t.updated_at,
                   references=[ReferenceOut(system=r.system, ref=r.ref, url=r.url) for r in t.references])


class TicketIn(BaseModel):
    model_config = STRICT
    subject: Text = Field(min_length=1, max_length=200)
    description: Text = Field(default="", max_length=20000)
    category: Text = Field(default="general", min_length=1, max_length=80, pattern=r"^[a-z0-9_]+$")
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    customer_id: Id | None = None
    call_id: Id | None = None


class TicketPatch(BaseModel):
    model_config = STRICT
    status: Literal["new", "open", "pending", "resolved", "closed"] | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    note: Text | None = Field(default=None, max_length=20000)
    reason: Text = Field(default="", max_length=500)


class CustomerOut(BaseModel):
    id: int
    name: str
    company: str | None
    email: str | None
    language: str
    vip_tier: str
    phones: list[str]
    external_ref: str | None

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(id=c.id, name=c.name, company=c.company, email=c.email, language=c.language,
                   vip_tier=c.vip_tier.value, phones=[p.number for p in c.phones], external_ref=c.external_ref)


class CustomerIn(BaseModel):
    model_config = STRICT
    name: Text = Field(min_length=1, max_length=200)
    company: Text | None = Field(default=None, max_length=200)
    email: Text | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    language: Literal["en", "zh"] = "en"
    vip_tier: Literal["none", "silver", "gold", "platinum"] = "none"
    phones: list[Text] = Field(min_length=1, max_length=10)
    external_ref: Text | None = Field(default=None, max_length=200)


class CustomerRecordIn(BaseModel):
    """One customer as the CRM has them; a field left out (or null) leaves ours as it is."""

    model_config = STRICT
    external_ref: Text = Field(min_length=1, max_length=200, description=N_("The customer's id in the CRM or ERP"))
    name: Text | None = Field(default=None, max_length=200)
    company: Text | None = Field(default=None, max_length=200)
    email: Text | None = Field(default=None, max_length=200)
    language: Literal["en", "zh"] | None = None
    vip_tier: Literal["none", "silver", "gold", "platinum"] | None = None
    phones: list[Text] = Field(default_factory=list, max_length=10,
                               description=N_("Numbers added to the customer's (none is taken away)"))
    tags: list[Text] | None = Field(default=None, max_length=50, description=N_(
        "The customer's tags in the CRM: they replace the tags the CRM set before; tags set by hand or by rules "
        "stay (left out: unchanged)"))


class CustomerSyncIn(BaseModel):
    model_config = STRICT
    customers: list[CustomerRecordIn] = Field(min_length=1, max_length=500)


class SyncedOut(BaseModel):
    external_ref: str
    outcome: Literal["created", "updated", "unchanged", "refused"]
    customer_id: int | None
    changed: list[str] = Field(description=N_("The fields an update changed"))
    errors: dict[str, str] = Field(description=N_("Why a refused record was refused, by field"))


class CustomerSyncOut(BaseModel):
    results: list[SyncedOut]
    created: int
    updated: int
    unchanged: int
    refused: int


class MergeIn(BaseModel):
    model_config = STRICT
    other_id: Id = Field(description=N_("The customer merged into this one; it is deleted afterwards"))
    take: list[Literal["name", "company", "email", "vip_tier", "language", "notes", "external_ref"]] = Field(
        default_factory=list, max_length=7,
        description=N_("Fields to take from the other customer even where this one has a value"))


class MergeOut(BaseModel):
    customer: CustomerOut
    merged_id: int
    moved: dict[str, int] = Field(description=N_("Rows moved to this customer, by table"))


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

    @classmethod
    def of(cls, c: Callback) -> CallbackOut:
        return cls(id=c.id, number=c.number, source=c.source.value, status=c.status.value, due_at=c.due_at,
                   attempts=c.attempts, call_id=c.call_id, ticket_id=c.ticket_id, customer_id=c.customer_id)


class CallbackIn(BaseModel):
    model_config = STRICT
    number: Text = Field(min_length=3, max_length=32)
    due_at: Moment
    ticket_id: Id | None = None
    customer_id: Id | None = None


class SurveyOut(BaseModel):
    id: int
    channel: str
    status: str
    score: int | None
    call_id: int | None
    ticket_id: int | None
    agent_id: int | None
    completed_at: dt.datetime | None

    @classmethod
    def of(cls, s: Survey) -> SurveyOut:
        return cls(id=s.id, channel=s.channel.value, status=s.status.value, score=s.score, call_id=s.call_id,
                   ticket_id=s.ticket_id, agent_id=s.agent_id, completed_at=s.completed_at)


class TranscriptHitOut(BaseModel):
    call_id: int
    transcript_id: int
    started_at: dt.datetime
    agent_id: int | None
    queue: str | None
    duration: float | None
    snippet: str
    matches: list[dict[str, Any]]
    tags: list[str]


class TranscriptOut(BaseModel):
    call_id: int
    status: str | None
    error: str | None
    language: str | None
    duration: float | None
    redacted: bool
    # [{"speaker", "start", "end", "words": [{"w", "start", "end", "conf", "redacted"?}]}]
    turns: list[dict[str, Any]]
    redactions: list[dict[str, Any]]
    tags: list[str]
    audio_url: str | None


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    refused: str | None = Field(description=N_("Why the file was not kept (too_large); null when it was"))

    @classmethod
    def of(cls, a: Attachment) -> AttachmentOut:
        return cls(id=a.id, filename=a.filename, content_type=a.content_type, size_bytes=a.size_bytes,
                   sha256=a.sha256, refused=a.refused)


class TimelineEntryOut(BaseModel):
    """One entry of a ticket's timeline; the fields of the other kinds are null."""

    kind: Literal["call", "message", "note", "change"]
    id: int = Field(description=N_("The call's, message's, note's or change's own id"))
    at: dt.datetime
    visibility: Literal["public", "internal"] = Field(
        description=N_("internal: notes and history, never shown to the customer"))
    channel: str | None = Field(description=N_("A message's channel: email, web, wechat, sms, phone"))
    direction: str | None = Field(description=N_("A message's or a call's direction: inbound, outbound"))
    author_id: int | None
    subject: str | None
    body: str | None
    sender: str | None
    recipient: str | None
    delivery_state: str | None = Field(description=N_("An outbound message's state: queued, sent, failed"))
    attachments: list[AttachmentOut]
    disposition: str | None
    recording_ids: list[int]
    transcript_excerpt: str | None
    field: str | None = Field(description=N_("A change's field, with its old and new values"))
    old_value: str | None
    new_value: str | None

    @classmethod
    def of(cls, e: Entry) -> TimelineEntryOut:
        values: dict[str, Any] = dict.fromkeys(cls.model_fields)
        values.update(kind=e.kind, id=e.item.id, at=e.at, visibility=e.visibility.value, attachments=[],
                      recording_ids=[r.id for r in e.recordings], transcript_excerpt=e.transcript)
        item = e.item
        if isinstance(item, Message):
            values.update(channel=item.channel.value, direction=item.direction.value, author_id=item.author_id,
                          subject=item.subject, body=item.body, sender=item.sender, recipient=item.recipient,
                          delivery_state=item.delivery_state.value if item.delivery_state else None,
                          attachments=[AttachmentOut.of(a) for a in item.attachments])
        elif isinstance(item, TicketNote):
            values.update(author_id=item.author_id, body=item.body)
        elif isinstance(item, TicketChange):
            values.update(author_id=item.actor_id, field=item.field, old_value=item.old_value,
                          new_value=item.new_value, body=item.reason or None)
        else:
            values.update(channel="phone", direction=item.direction.value,
                          disposition=item.disposition.value if item.disposition else None)
        return cls(**values)


class NoteIn(BaseModel):
    model_config = STRICT
    body: Text = Field(min_length=1, max_length=20000)
