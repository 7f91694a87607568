"""An automation rule in plain words, in the reader's language: when it runs, what it checks, what it does.

The rules editor's preview and the approvals queue (the actions waiting for a decision) say rules this
way.  What the admin typed (fields, values, names, notes) is data: it is shown as typed, in ``<code>``,
marked ``translate="no"``.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from callcenter.automation import schema

from . import labels


def _data(value: object) -> Markup:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return Markup('<code translate="no">{}</code>').format(value)


def _fill(template: str, **params: object) -> Markup:
    """A translated template with its values filled in, each escaped (data in ``<code>``, labels as text)."""
    return escape(template) % {k: v if isinstance(v, Markup) else escape(str(v)) for k, v in params.items()}


def when(name: str) -> str:
    said: dict[str, str] = {
        "ticket_created": _("When a ticket is created"), "ticket_changed": _("When a ticket changes"),
        "call_ended": _("When a call ends"), "survey_answered": _("When a customer answers a survey"),
        "sla_warning": _("When a ticket nears its SLA deadline")}
    return said.get(name, name)


def condition(c: schema.Condition) -> Markup:
    ops = {"is": _("%(field)s is %(value)s"), "is_not": _("%(field)s is not %(value)s"),
           "in": _("%(field)s is one of %(value)s"), "not_in": _("%(field)s is none of %(value)s"),
           "contains": _("%(field)s contains %(value)s"), "not_contains": _("%(field)s does not contain %(value)s"),
           "at_least": _("%(field)s is at least %(value)s"), "at_most": _("%(field)s is at most %(value)s")}
    said = _fill(ops[c.op], field=_data(c.field), value=_data(c.value))
    if c.field == "customer.recent_tickets":
        said += " " + (_fill(_("(tickets of category %(category)s in the last %(n)s days)"),
                             category=_data(c.category), n=c.days) if c.category else
                       _fill(_("(tickets in the last %(n)s days)"), n=c.days))
    return said


def action(a: Any) -> Markup:
    """One action, as the approver and the admin read it."""
    if isinstance(a, schema.SetPriority):
        return _fill(_("set the priority to %(value)s"), value=labels.PRIORITIES.get(a.value, a.value))
    if isinstance(a, schema.SetStatus):
        return _fill(_("set the status to %(value)s"), value=labels.STATUSES.get(a.value, a.value))
    if isinstance(a, schema.AddTag):
        return _fill(_("tag the ticket %(tag)s"), tag=_data(a.value))
    if isinstance(a, schema.TagCustomer):
        if a.do == "untag_customer":
            return _fill(_("take the tag %(tag)s off the customer"), tag=_data(a.value))
        if a.days:
            return _fill(_("tag the customer %(tag)s for %(n)s days"), tag=_data(a.value), n=a.days)
        return _fill(_("tag the customer %(tag)s"), tag=_data(a.value))
    if isinstance(a, schema.Assign):
        return _fill(_("assign it to %(user)s"), user=_data(a.user))
    if isinstance(a, schema.SetTeam):
        return _fill(_("give it to the team %(team)s"), team=_data(a.team))
    if isinstance(a, schema.AddNote):
        return _fill(_("add an internal note: %(text)s"), text=_data(a.text))
    if isinstance(a, schema.SendTemplate):
        return _fill(_("reply to the customer with the template %(name)s"), name=_data(a.template))
    if isinstance(a, schema.CallWebhook):
        return _fill(_("tell the webhook endpoint %(name)s"), name=_data(a.endpoint))
    if isinstance(a, schema.AskApproval):
        asks = {"supervisor": _("ask a supervisor's approval"), "admin": _("ask an administrator's approval"),
                "qa": _("ask a QA reviewer's approval")}
        said = escape(asks.get(a.role, a.role))
        return said + Markup(": ") + _data(a.reason) if a.reason else said
    return _data(getattr(a, "do", a))


def stored_actions(data: list[dict[str, Any]]) -> list[Markup]:
    """Actions kept with an approval, in words (as stored, in ``<code>``, if they no longer parse)."""
    try:
        return [action(a) for a in schema.parse_actions(data)]
    except ValueError:  # a pydantic ValidationError or a Refusal: the schema changed since
        return [_data(d) for d in data]


def rule(spec: schema.RuleSpec) -> dict[str, Any]:
    """The parts of a rule the preview shows: when, its conditions, what runs at once, the approval asked
    for and what waits for it."""
    now, ask, waiting = spec.split()
    return {"name": spec.name, "when": when(spec.when), "conditions": [condition(c) for c in spec.conditions],
            "now": [action(a) for a in now], "ask": action(ask) if ask else None,
            "waiting": [action(a) for a in waiting]}
