"""Say a service's message in the reader's language: translate its English template, then fill in its values."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext

from callcenter.i18n import Refusal, fill


def say(template: str, params: dict[str, Any] | None = None) -> str:
    """``template`` (a message marked with ``N_``) in the reader's language, with ``params`` filled in."""
    return fill(gettext(template), params or {})


def refusal(exc: Refusal) -> str:
    """What to tell a person about a refusal, in their language."""
    return say(exc.template, exc.params)


def field_errors(errors: dict[str, Refusal | str]) -> dict[str, str]:
    """Field -> message in the reader's language (a plain string is an English template without values)."""
    return {name: refusal(e) if isinstance(e, Refusal) else say(e) for name, e in errors.items()}
