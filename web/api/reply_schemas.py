"""API shapes of replies and reply templates."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from callcenter.conversations.service import MAX_BODY
from callcenter.i18n import N_
from callcenter.models import ReplyTemplate, TemplateVariant

from .schemas import STRICT, Id, Text


class ReplyIn(BaseModel):
    model_config = STRICT
    channel: Literal["email", "web", "wechat", "sms"] = Field(
        description=N_("The channel to answer on; the address is the ticket's customer's on it"))
    body: Text = Field(min_length=1, max_length=MAX_BODY)
    subject: Text = Field(default="", max_length=300)
    template_id: Id | None = Field(default=None, description=N_("The template or macro used; a macro's changes "
                                                               "(status, priority, tags) are applied"))
    internal: bool = Field(default=False, description=N_("An internal note instead: never sent to the customer"))


class VariantOut(BaseModel):
    channel: str
    language: str
    subject: str
    body: str
    body_html: str | None

    @classmethod
    def of(cls, v: TemplateVariant) -> VariantOut:
        return cls(channel=v.channel.value, language=v.language, subject=v.subject, body=v.body,
                   body_html=v.body_html)


class TemplateOut(BaseModel):
    id: int
    name: str
    kind: Literal["template", "macro"]
    active: bool
    set_status: str | None = Field(description=N_("A macro's status for the ticket"))
    set_priority: str | None
    add_tags: list[str]
    variants: list[VariantOut]

    @classmethod
    def of(cls, t: ReplyTemplate) -> TemplateOut:
        return cls(id=t.id, name=t.name, kind=t.kind.value, active=t.active, set_status=t.set_status,
                   set_priority=t.set_priority, add_tags=list(t.add_tags or []),
                   variants=[VariantOut.of(v) for v in t.variants])
