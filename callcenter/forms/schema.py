"""What an intake form may declare: fields, types, choices, help, prefill.

Form files are data written by admins, so they are validated as strictly as
anything a caller sends.  A rule that fails raises a ``Refusal`` whose
``field`` is the key at fault, relative to where pydantic reports it (the
forms editor shows the message beside that key's line).
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..i18n import N_, Refusal

# Values the desk can pre-fill from the call: "caller.number", "ivr.category" ...; and "crm.<name>", a field
# of the CRM's answer ([crm] fields), filled in on the desk when the CRM answers.
PREFILL_SOURCES = ("caller.number", "caller.name", "customer.name", "customer.email", "call.did",
                   "call.queue", "ivr.category", "ivr.path", "ticket.subject")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SLUG_RULE = N_("A slug is lower-case letters, digits and _, starting with a letter (at most 40).")


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
            raise Refusal(N_("A field name is lower-case letters, digits and _, starting with a letter "
                             "(at most 40): %(name)s is not one."), code="bad_name", name=repr(v))
        return v

    @field_validator("prefill")
    @classmethod
    def _prefill(cls, v: str | None) -> str | None:
        if v is not None and v not in PREFILL_SOURCES and not (v.startswith("crm.") and NAME.match(v[4:])):
            raise Refusal(N_("The desk cannot pre-fill from %(source)s; it can from %(sources)s."),
                          code="bad_prefill", source=repr(v), sources=", ".join((*PREFILL_SOURCES, "crm.<name>")))
        return v

    @model_validator(mode="after")
    def _choices(self) -> FieldSpec:
        if self.type in ("choice", "multichoice") and not self.choices:
            raise Refusal(N_("A %(type)s field needs choices = [ … ]."), field="type", code="no_choices",
                          type=self.type)
        values = [c.value for c in self.choices]
        for n, value in enumerate(values):
            if value in values[:n]:
                raise Refusal(N_("The choice %(value)s is offered twice."), field=f"choices.{n}.value",
                              code="duplicate_choice", value=repr(value))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise Refusal(N_("max is below min."), field="max", code="bad_range")
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
    # they still load; the forms editor refuses it in a form written now (``checks``).
    wrapup_codes: list[Choice] = []
    fields: list[FieldSpec] = Field(min_length=1, max_length=60)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not NAME.match(v):
            raise Refusal(SLUG_RULE, code="bad_slug")
        return v

    @model_validator(mode="after")
    def _references(self) -> FormSpec:
        names = [f.name for f in self.fields]
        for n, name in enumerate(names):
            if name in names[:n]:
                raise Refusal(N_("The field name %(name)s is used twice: each field needs a name of its own."),
                              field=f"fields.{n}.name", code="duplicate_field", name=repr(name))
        for key in ("subject_field", "description_field", "priority_field"):
            ref = getattr(self, key)
            if ref is not None and ref not in names:
                raise Refusal(N_("%(key)s names the field %(name)s, which the form does not declare."),
                              field=key, code="unknown_field", key=key, name=repr(ref))
        return self

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)
