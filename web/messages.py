"""Say a service's message in the reader's language: translate its English template, then fill in its values.

Values keep their meaning across languages (``callcenter.i18n``): a moment is
shown in the centre's time zone as the reader's language writes it, a code
by its label, a message inside a message in the same language.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale, gettext

from callcenter.calls.numbers import display
from callcenter.i18n import Message, Refusal, fill

from . import labels
from .templating import localtime, zone


def say(template: str, params: dict[str, Any] | None = None) -> str:
    """``template`` (a message marked with ``N_``) in the reader's language, with ``params`` filled in."""
    if not params:
        return gettext(template) if template else ""
    return fill(gettext(template), {k: _value(v) for k, v in params.items()})


def said(message: Message | None, fallback: str = "") -> str:
    return say(message.template, message.params) if message is not None else fallback


def refusal(exc: Refusal) -> str:
    """What to tell a person about a refusal, in their language."""
    return say(exc.template, exc.params)


def field_errors(errors: dict[str, Refusal | str]) -> dict[str, str]:
    """Field -> message in the reader's language (a plain string is an English template without values)."""
    return {name: refusal(e) if isinstance(e, Refusal) else say(e) for name, e in errors.items()}


def stored(template: str | None, params: dict[str, Any] | None, english: str) -> str:
    """A note or history reason the system wrote (template and values), or the text a person typed."""
    return say(template, params) if template else english


def history_value(field: str, value: str | None, users: dict[int, Any]) -> str:
    """A value in the ticket's history as its reader should see it: a label, a name, a local time."""
    if value is None or value == "":
        return "—"
    kinds = {"status": "status", "priority": "priority", "category": "category", "language": "language",
             "sla_warning": "sla_clock", "sla_breach": "sla_clock", "escalation": "escalation_step"}
    if field in kinds:
        return labels.code(kinds[field], value)
    if field == "is_problem":
        return str(labels.TICKET_KINDS.get(value, value))
    if field == "queue_id" and value.isdigit():
        return labels.queue(int(value))
    if field == "assignee_id" and value.isdigit():
        who = users.get(int(value))
        return (who.display_name or who.username) if who is not None else f"#{value}"
    if field.endswith("_at"):
        return _moment(value)
    return value


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return ("；" if _zh() else "; ").join(str(_value(v)) for v in value)
    if not isinstance(value, dict):
        return value
    if "msg" in value:
        return say(str(value["msg"]), value.get("params") or {})
    if "series" in value:
        return ("、" if _zh() else ", ").join(str(_value(v)) for v in value["series"])
    if "at" in value:
        return _moment(str(value["at"]))
    if "phone" in value:
        return display(str(value["phone"]))
    if "code" in value:
        return labels.code(str(value["code"]), value.get("value"))
    return value


def _moment(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return localtime(moment, zone(current_app))


class JSONProvider(DefaultJSONProvider):
    """A Refusal that reaches JSON unworded (a machine's answer) is its English text, never a 500."""

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, Refusal):
            return str(o)
        return DefaultJSONProvider.default(o)


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    # What the system wrote (notes, history reasons), in the reader's language.
    app.add_template_global(stored, "stored_text")
    app.add_template_global(say, "say")
    app.add_template_global(history_value, "history_value")


def _zh() -> bool:
    return str(get_locale()) == "zh"
