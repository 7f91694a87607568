"""Display names for stored codes (translatable; the database keeps the code)."""
from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from callcenter.forms.schema import Choice, FieldSpec

ROLES = {"agent": _l("Agent"), "supervisor": _l("Supervisor"), "qa": _l("QA reviewer"), "admin": _l("Administrator")}
STATUSES = {"new": _l("New"), "open": _l("Open"), "pending": _l("Waiting on customer"),
            "resolved": _l("Resolved"), "closed": _l("Closed")}
PRIORITIES = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
TIMELINE = {"ring": _l("Call came in"), "queue": _l("Queued"), "answer": _l("Answered"),
            "transfer": _l("Transferred"), "hangup": _l("Hung up")}
DISPOSITIONS = {"answered": _l("Answered"), "abandoned_queue": _l("Abandoned in queue"),
                "abandoned_ivr": _l("Abandoned in IVR"), "callback_requested": _l("Callback requested"),
                "voicemail": _l("Voicemail"), "no_answer": _l("No answer"), "busy": _l("Busy"),
                "failed": _l("Failed")}


def _zh() -> bool:
    return str(get_locale()) == "zh"


def choice(choices: list[Choice], value: str) -> str:
    for c in choices:
        if c.value == value:
            return c.label_zh if _zh() and c.label_zh else c.label
    return value


def answer(field: FieldSpec, value: Any) -> str:
    """A stored form answer as the reader should see it (labels, not codes)."""
    from callcenter.calls.numbers import display

    if field.type in ("choice", "multichoice"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(choice(field.choices, v) for v in values)
    if field.type == "phone":
        return display(value)
    if field.type == "checkbox":
        return "✓" if value else "—"
    return str(value)


def change_value(field: str, value: str | None) -> str:
    if value is None:
        return "—"
    table = {"status": STATUSES, "priority": PRIORITIES}.get(field)
    return str(table.get(value, value)) if table else value


# -- desk lifecycle: what a pop shows, in the agent's language ----------------------------------------
VIP_TIERS = {"silver": _l("Silver VIP"), "gold": _l("Gold VIP"), "platinum": _l("Platinum VIP")}
LANGUAGES = {"en": _l("English"), "zh": _l("Chinese")}


def in_language(names: dict[str, str], code: str = "") -> str:
    """A name the centre keeps in English and Chinese ({"en": ..., "zh": ...}), in the reader's language."""
    return (names.get("zh") if _zh() else None) or names.get("en") or code


def vip_tier(code: str | None) -> str:
    """"Gold VIP" for a tier ("" for none)."""
    return str(VIP_TIERS.get(code or "", ""))


def language_name(code: str) -> str:
    """A language by its name ("Chinese", "中文"), not its code."""
    return str(LANGUAGES.get(code, code))


def status(code: str) -> str:
    return str(STATUSES.get(code, code))


def disposition(code: str | None) -> str:
    return str(DISPOSITIONS.get(code, code)) if code else "—"
