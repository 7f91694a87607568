"""What an intake form may declare: fields, types, choices, help, prefill.

Form files are data written by admins, so they are validated as strictly as
anything a caller sends.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Values the desk can pre-fill from the call: "caller.number", "ivr.category" ...
PREFILL_SOURCES = ("caller.number", "caller.name", "customer.name", "customer.email", "call.did",
                   "call.queue", "ivr.category", "ivr.path", "ticket.subject")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=80)
    label: str = Field(min_length=1, max_length=200)
    label_zh: str = ""


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    type: Literal["text", "textarea", "choice", "multichoice", "number", "date", "phone", "email",
                  "checkbox"] = "text"
    label: str = Field(min_length=1, max_length=200)
    label_zh: str = ""
    help: str = ""
    help_zh: str = ""
    required: bool = False
    max_length: int = Field(default=500, ge=1, le=20000)
    min: float | None = None
    max: float | None = None
    choices: list[Choice] = []
    prefill: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError("field names are lower-case letters, digits and _ (max 40)")
        return v

    @field_validator("prefill")
    @classmethod
    def _prefill(cls, v: str | None) -> str | None:
        if v is not None and v not in PREFILL_SOURCES:
            raise ValueError(f"prefill must be one of {', '.join(PREFILL_SOURCES)}")
        return v

    @model_validator(mode="after")
    def _choices(self) -> FieldSpec:
        if self.type in ("choice", "multichoice") and not self.choices:
            raise ValueError(f"field {self.name}: a {self.type} field needs choices")
        return self


class FormSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str
    title: str = Field(min_length=1, max_length=200)
    title_zh: str = ""
    category: str = Field(min_length=1, max_length=80)
    # Which answers become the ticket's subject, description and priority.
    subject_field: str = "subject"
    description_field: str | None = "description"
    priority_field: str | None = "priority"
    # Only in versions stored before the centre kept one list of wrap-up codes (``forms.wrapups``):
    # they still load; a form written now may not declare it (``catalog.parse``).
    wrapup_codes: list[Choice] = []
    fields: list[FieldSpec] = Field(min_length=1, max_length=60)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError("slug: lower-case letters, digits and _")
        return v

    @model_validator(mode="after")
    def _references(self) -> FormSpec:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique")
        for ref in (self.subject_field, self.description_field, self.priority_field):
            if ref is not None and ref not in names:
                raise ValueError(f"form refers to a field {ref!r} it does not declare")
        return self

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)
