"""Messages people read, marked once in the services and said in each reader's language by the web.

The services below the web speak English (the CLI, logs and the API's
``detail`` show it), but a person at the desk reads Chinese too.  So a
service marks its message with ``N_`` (Babel extracts it into the
catalogue) and keeps the values apart: the web translates the message,
then fills in the values (``web.messages.say``).  ``Refusal`` is the error
every service raises for something a person asked that cannot be done.

What the system writes for later readers (a dispatcher's note on a ticket,
the reason in its history) is a ``Message``: stored as its template and
JSON values, said in each reader's language and time zone when shown, with
its English text kept beside it for the API and exports.  A value may be a
plain one, or one of these JSON shapes, so that it is said properly too:

- ``at(moment)``: a moment, shown as a local time (the English text keeps ISO 8601, UTC);
- ``coded(kind, value)``: a stored code shown by its label (``web.labels``), e.g. a priority;
- ``phone(number)``: an E.164 number, shown the way people write it;
- ``Message(...).value()``: a message inside a message;
- a list of values: clauses, joined with "; " (the reader's punctuation);
- ``series(values)``: items of one clause, joined with ", ".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

# The one catalogue, the web's: work done away from a request (an e-mail, a background export) is
# said in its reader's language from it too.
CATALOGUE = Path(__file__).resolve().parent.parent.parent / "web" / "translations"
LANGUAGES = ("en", "zh")


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue (``N_`` is a name Babel extracts by default); it is
    translated where it is shown, not here."""
    return message


class Refusal(ValueError):
    """A request a service will not carry out, and why.

    ``template`` is the English message (marked with ``N_``) with ``%(name)s``
    placeholders, ``params`` their values, ``field`` the input at fault and
    ``code`` a short name a client may switch on.  ``str()`` is the English text.
    """

    def __init__(self, template: str, *, field: str | None = None, code: str = "", **params: Any) -> None:
        self.template, self.field, self.code, self.params = template, field, code, params
        super().__init__(fill(template, params))


@dataclass(frozen=True)
class Message:
    """A sentence said later, in each reader's language: an ``N_`` template and its JSON-safe values."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return fill(self.template, self.params)

    def value(self) -> dict[str, Any]:
        """This message as a value inside another one (JSON)."""
        return {"msg": self.template, "params": self.params}


def say_later(template: str, **params: Any) -> Message:
    """A ``Message``; values that are messages are stored in their JSON form."""
    return Message(template, {k: v.value() if isinstance(v, Message) else v for k, v in params.items()})


def at(moment: dt.datetime) -> dict[str, str]:
    return {"at": moment.astimezone(dt.UTC).isoformat()}


def coded(kind: str, value: Any) -> dict[str, str]:
    return {"code": kind, "value": str(getattr(value, "value", value))}


def phone(number: str) -> dict[str, str]:
    return {"phone": number}


def clauses(parts: list[Message] | tuple[Message, ...]) -> list[dict[str, Any]]:
    return [p.value() for p in parts]


def series(items: list[Any]) -> dict[str, list[Any]]:
    return {"series": [i.value() if isinstance(i, Message) else i for i in items]}


def fill(template: str, params: dict[str, Any]) -> str:
    """``template`` with its values in English, never failing on a missing or extra one."""
    if not params:
        return template
    try:
        return template % {k: plain(v) for k, v in params.items()}
    except (KeyError, TypeError, ValueError):
        return template


def plain(value: Any) -> Any:
    """A value as the English text shows it."""
    if isinstance(value, list):
        return "; ".join(str(plain(v)) for v in value)
    if not isinstance(value, dict):
        return value
    if "msg" in value:
        return fill(str(value["msg"]), value.get("params") or {})
    if "series" in value:
        return ", ".join(str(plain(v)) for v in value["series"])
    for key in ("at", "phone", "value"):
        if key in value:
            return value[key]
    return value


@lru_cache(maxsize=4)
def translations(language: str) -> NullTranslations:
    """The catalogue in ``language`` (English, the msgids themselves, for any other)."""
    return Translations.load(str(CATALOGUE), [language if language in LANGUAGES else "en"])


def say_in(language: str, template: str, params: dict[str, Any] | None = None) -> str:
    """``template`` in ``language`` outside a request (values as the English text writes them)."""
    return fill(translations(language).gettext(template), params or {})
