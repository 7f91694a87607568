"""What a rule may say: when it runs, the conditions it checks, the actions it takes.

Rules are TOML an admin writes (``[[if]]`` and ``[[then]]`` tables), validated as strictly as a form:
a wrong field, operator or action is refused with a ``Refusal`` the editor shows beside its line.
Names of people, teams, templates and endpoints are checked against the database when the rule is
saved (``rules.check_names``), not here: the schema holds without a session.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..i18n import N_, Refusal
from ..models import Priority, Role, TicketStatus

# When a rule runs, and the catalogue event that starts it (callcenter/events/).
WHEN = {"ticket_created": "ticket_created", "ticket_changed": "ticket_updated", "call_ended": "call_ended",
        "survey_answered": "survey_answered", "sla_warning": "sla_warning"}
# Fields a condition reads (``form.<name>``: an answer on the ticket's intake form).
FIELDS = ("ticket.category", "ticket.priority", "ticket.status", "ticket.channel", "ticket.queue", "ticket.team",
          "ticket.tags", "ticket.subject", "ticket.language", "ticket.assigned",
          "customer.tags", "customer.vip", "customer.segments", "customer.language", "customer.recent_tickets",
          "event.fields", "call.queue", "call.talk_seconds", "call.wait_seconds", "survey.score",
          "time.weekday", "time.hour", "time.open")
FORM_FIELD = re.compile(r"^form\.[a-z][a-z0-9_]{0,39}$")
NUMBERS = ("customer.recent_tickets", "call.talk_seconds", "call.wait_seconds", "survey.score", "time.hour")
OPS = ("is", "is_not", "in", "not_in", "contains", "not_contains", "at_least", "at_most")
TAG = re.compile(r"^[^\s,\"'<>]{1,40}$")


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str
    op: Literal["is", "is_not", "in", "not_in", "contains", "not_contains", "at_least", "at_most"] = "is"
    value: str | int | float | bool | list[str] = ""
    # customer.recent_tickets: tickets of the customer created in the last ``days`` (of ``category``, if set).
    days: int = Field(default=30, ge=1, le=3650)
    category: str = ""

    @field_validator("field")
    @classmethod
    def _field(cls, v: str) -> str:
        if v not in FIELDS and not FORM_FIELD.match(v):
            raise Refusal(N_("A condition cannot read %(name)s; it can read %(fields)s, or form.<name>."),
                          code="bad_field", name=repr(v), fields=", ".join(FIELDS))
        return v

    @model_validator(mode="after")
    def _fits(self) -> Condition:
        if self.op in ("at_least", "at_most") and not isinstance(self.value, (int, float)):
            raise Refusal(N_("%(op)s compares numbers: give value a number."), field="value", code="not_a_number",
                          op=self.op)
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise Refusal(N_("%(op)s needs a list: value = [\"a\", \"b\"]."), field="value", code="not_a_list",
                          op=self.op)
        if self.field in NUMBERS and self.op not in ("at_least", "at_most", "is", "is_not"):
            raise Refusal(N_("%(name)s is a number: use at_least, at_most, is or is_not."), field="op",
                          code="number_op", name=self.field)
        return self


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SetPriority(_Action):
    do: Literal["set_priority"]
    value: Literal["low", "normal", "high", "urgent"]


class SetStatus(_Action):
    do: Literal["set_status"]
    value: Literal["new", "open", "pending", "resolved", "closed"]


class AddTag(_Action):
    """A tag on the ticket."""

    do: Literal["add_tag"]
    value: str

    @field_validator("value")
    @classmethod
    def _tag(cls, v: str) -> str:
        return _tag(v)


class TagCustomer(_Action):
    """A tag on the ticket's customer, for ``days`` (0: until removed)."""

    do: Literal["tag_customer", "untag_customer"]
    value: str
    days: int = Field(default=0, ge=0, le=3650)

    @field_validator("value")
    @classmethod
    def _tag(cls, v: str) -> str:
        return _tag(v)


class Assign(_Action):
    do: Literal["assign"]
    user: str = Field(min_length=1, max_length=80)


class SetTeam(_Action):
    do: Literal["set_team"]
    team: str = Field(min_length=1, max_length=80)


class AddNote(_Action):
    """An internal note on the ticket (never sent to the customer)."""

    do: Literal["add_note"]
    text: str = Field(min_length=1, max_length=4000)


class SendTemplate(_Action):
    """A reply to the customer on their channel, from a reply template."""

    do: Literal["send_template"]
    template: str = Field(min_length=1, max_length=80)


class CallWebhook(_Action):
    """One delivery of ``automation_fired`` to this endpoint, signed as every delivery is."""

    do: Literal["webhook"]
    endpoint: str = Field(min_length=1, max_length=80)


class AskApproval(_Action):
    """The actions after this one wait until someone of ``role`` approves them."""

    do: Literal["ask_approval"]
    role: Literal["supervisor", "admin", "qa"] = "supervisor"
    reason: str = Field(default="", max_length=500)


Action = Annotated[SetPriority | SetStatus | AddTag | TagCustomer | Assign | SetTeam | AddNote | SendTemplate
                   | CallWebhook | AskApproval, Field(discriminator="do")]


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1, max_length=200)
    when: Literal["ticket_created", "ticket_changed", "call_ended", "survey_answered", "sla_warning"]
    conditions: list[Condition] = Field(default=[], alias="if", max_length=30)
    actions: list[Action] = Field(alias="then", min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_approval(self) -> RuleSpec:
        asks = [n for n, a in enumerate(self.actions) if isinstance(a, AskApproval)]
        if len(asks) > 1:
            raise Refusal(N_("A rule asks for one approval at most."), field=f"then.{asks[1]}", code="two_approvals")
        if asks and asks[0] == len(self.actions) - 1:
            raise Refusal(N_("Put the actions that wait for the approval after ask_approval."),
                          field=f"then.{asks[0]}", code="nothing_to_approve")
        return self

    def split(self) -> tuple[list[Any], AskApproval | None, list[Any]]:
        """(actions run at once, the approval asked for, actions that wait for it)."""
        for n, action in enumerate(self.actions):
            if isinstance(action, AskApproval):
                return list(self.actions[:n]), action, list(self.actions[n + 1:])
        return list(self.actions), None, []


def _tag(v: str) -> str:
    v = v.strip()
    if not TAG.match(v):
        raise Refusal(N_("A tag is 1 to 40 characters without spaces, commas, quotes or < >: %(tag)s is not one."),
                      code="bad_tag", tag=repr(v))
    return v


def parse_actions(data: list[dict[str, Any]]) -> list[Any]:
    """Actions stored with an approval, read back as the schema's objects."""
    return list(RuleSpec.model_validate({"name": "-", "when": "ticket_created", "then": data}).actions)


# Kept in step with the models, so the schema's words are the ticket's own.
assert {p.value for p in Priority} == set(SetPriority.model_fields["value"].annotation.__args__)  # type: ignore[union-attr]  # a Literal's args
assert {s.value for s in TicketStatus} >= set(SetStatus.model_fields["value"].annotation.__args__)  # type: ignore[union-attr]  # a Literal's args
assert {"supervisor", "admin", "qa"} <= {r.value for r in Role}
