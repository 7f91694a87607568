"""What an admin may set on a queue, each value checked once (the web, the API and the CLI share it).

``check`` turns the changes a person asked for into column values, or
raises ``InvalidQueue`` with one ``Refusal`` per field at fault, so every
form shows all its errors at once and in the reader's language.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..forms import catalog
from ..i18n import N_, Refusal
from ..inputs import parsers
from ..models import Queue, Skill, Team
from . import hours

# The Asterisk name: a queues.conf section, a dialplan FILTER(a-z0-9_) survivor, a URL part.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# queues.conf sections that are not queues.
RESERVED_NAMES = frozenset({"general"})
DID = re.compile(r"^\+?[0-9]{2,20}$")
MAX_DISPLAY = 200
FIELDS = ("display_name", "display_name_zh", "language", "skill", "team", "service_level_seconds",
          "service_level_target", "business_hours", "default_form", "recording", "did", "monitoring_allowed")


class InvalidQueue(Refusal):
    """Some fields cannot be used; ``errors`` holds a Refusal per field."""

    def __init__(self, errors: dict[str, Refusal]) -> None:
        super().__init__(N_("Some fields are not valid."), code="invalid")
        self.errors = errors


@dataclass(frozen=True)
class Context:
    """What checking needs besides the values: the database, the IVR's languages and reserved numbers."""

    session: Session
    languages: tuple[str, ...]
    reserved_numbers: tuple[str, ...]
    queue_id: int | None = None  # the queue being edited (its own DID is not "taken")


def check_name(session: Session, name: object) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not NAME.match(text) or text in RESERVED_NAMES:
        raise Refusal(N_("A queue name is 1-40 lower-case letters, digits or _, starting with a letter."),
                      field="name", code="bad_name")
    if session.scalar(select(Queue.id).where(Queue.name == text)) is not None:
        raise Refusal(N_("There is already a queue named %(name)s."), field="name", code="taken", name=text)
    return text


def check(ctx: Context, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Column -> value for every change, or InvalidQueue naming each field at fault."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidQueue({unknown[0]: Refusal(N_("Queues have no setting %(name)s."), field=unknown[0],
                                                code="unknown_field", name=unknown[0])})
    values: dict[str, Any] = {}
    errors: dict[str, Refusal] = {}
    for field, value in changes.items():
        try:
            values.update(CHECKS[field](ctx, value))
        except Refusal as exc:
            errors[field] = exc
    if errors:
        raise InvalidQueue(errors)
    return values


def _display(column: str) -> Callable[[Context, Any], dict[str, Any]]:
    def run(ctx: Context, value: Any) -> dict[str, Any]:
        text = value.strip() if isinstance(value, str) else None
        if text is None or len(text) > MAX_DISPLAY or not text.isprintable():
            raise Refusal(N_("A display name is at most %(n)s characters on one line."), field=column,
                          code="bad_text", n=MAX_DISPLAY)
        return {column: text}
    return run


def _language(ctx: Context, value: Any) -> dict[str, Any]:
    if value in (None, ""):
        return {"language": None}
    if value not in ctx.languages:
        raise Refusal(N_("Choose one of the IVR's languages: %(choices)s."), field="language", code="bad_choice",
                      choices=", ".join(ctx.languages))
    return {"language": value}


def _named(model: type[Skill] | type[Team], field: str, message: str) -> Callable[[Context, Any], dict[str, Any]]:
    def run(ctx: Context, value: Any) -> dict[str, Any]:
        if value in (None, ""):
            return {f"{field}_id": None}
        found = ctx.session.scalar(select(model.id).where(model.name == value)) if isinstance(value, str) else None
        if found is None:
            raise Refusal(message, field=field, code="unknown", name=str(value)[:80])
        return {f"{field}_id": found}
    return run


def _whole(field: str, lo: int, hi: int) -> Callable[[Context, Any], dict[str, Any]]:
    def run(ctx: Context, value: Any) -> dict[str, Any]:
        try:
            return {field: parsers.whole(value, field, lo=lo, hi=hi)}
        except parsers.InvalidInput:
            raise Refusal(N_("A whole number from %(lo)s to %(hi)s."), field=field, code="bad_number",
                          lo=lo, hi=hi) from None
    return run


def _flag(field: str) -> Callable[[Context, Any], dict[str, Any]]:
    def run(ctx: Context, value: Any) -> dict[str, Any]:
        if not isinstance(value, bool):
            raise Refusal(N_("On or off."), field=field, code="bad_flag")
        return {field: value}
    return run


def _hours(ctx: Context, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise Refusal(N_("Opening hours are text such as 09:00-18:00."), field="business_hours", code="bad_hours")
    return {"business_hours": hours.normalise(value)}


def _form(ctx: Context, value: Any) -> dict[str, Any]:
    if value in (None, ""):
        return {"default_form": None}
    found = catalog.latest(ctx.session, value) if isinstance(value, str) else None
    if found is None or not found.is_active:
        raise Refusal(N_("There is no active form %(name)s."), field="default_form", code="unknown",
                      name=str(value)[:80])
    return {"default_form": found.slug}


def _did(ctx: Context, value: Any) -> dict[str, Any]:
    if value in (None, ""):
        return {"did": None}
    text = value.strip().replace(" ", "") if isinstance(value, str) else ""
    if not DID.match(text):
        raise Refusal(N_("A direct number is 2-20 digits, optionally after a +."), field="did", code="bad_number")
    if text.lstrip("+") in ctx.reserved_numbers:
        raise Refusal(N_("%(did)s is a number the dialplan answers itself (the main line)."), field="did",
                      code="reserved", did=text)
    owner = ctx.session.scalar(select(Queue.name).where(Queue.did.in_(variants(text)), Queue.id != ctx.queue_id))
    if owner is not None:
        raise Refusal(N_("%(did)s already leads to queue %(name)s."), field="did", code="taken", did=text,
                      name=owner)
    return {"did": text}


def variants(did: str) -> list[str]:
    """The forms one number may arrive in: the dialplan keeps a leading + only when the carrier sent one."""
    bare = did.lstrip("+")
    return [bare, f"+{bare}"]


CHECKS: dict[str, Callable[[Context, Any], dict[str, Any]]] = {
    "display_name": _display("display_name"),
    "display_name_zh": _display("display_name_zh"),
    "language": _language,
    "skill": _named(Skill, "skill", N_("There is no skill %(name)s.")),
    "team": _named(Team, "team", N_("There is no team %(name)s.")),
    "service_level_seconds": _whole("service_level_seconds", 1, 3600),
    "service_level_target": _whole("service_level_target", 1, 100),
    "business_hours": _hours,
    "default_form": _form,
    "recording": _flag("recording"),
    "did": _did,
    "monitoring_allowed": _flag("monitoring_allowed"),
}
