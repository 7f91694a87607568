"""Server-side validation of intake answers against the form's declaration."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..calls.numbers import InvalidNumber, to_e164
from ..i18n import N_, Refusal
from .schema import FieldSpec, FormSpec

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Lone surrogates ("\ud800" in a JSON body) cannot be encoded in UTF-8: the database would refuse them.
UNSTORABLE = re.compile(r"[\ud800-\udfff]")


class FormErrors(ValueError):
    """Field -> why its answer was refused: a Refusal each (``web.messages.field_errors`` says them in the
    reader's language; ``str()`` of one is its English text, the API's ``fields``), or a plain N_ string."""

    def __init__(self, errors: dict[str, Refusal | str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _refuse(template: str, code: str, **params: Any) -> Refusal:
    return Refusal(template, code=code, **params)


def _clean_one(spec: FieldSpec, raw: Any, region: str) -> Any:
    if spec.type == "checkbox":
        return raw in (True, "on", "true", "1", 1, "yes")
    if spec.type == "multichoice":
        values = raw if isinstance(raw, list) else ([raw] if raw not in (None, "") else [])
        allowed = {c.value for c in spec.choices}
        if any(not isinstance(v, str) or v not in allowed for v in values):
            raise _refuse(N_("not one of the offered choices"), "not_a_choice")
        return sorted(set(values))
    if raw is None:
        return None
    if not isinstance(raw, (str, int, float)):
        raise _refuse(N_("unexpected value"), "bad_type")
    text = str(raw).strip()
    if not text:
        return None
    if len(text) > spec.max_length:
        raise _refuse(N_("at most %(n)s characters"), "too_long", n=spec.max_length)
    if CONTROL.search(text):
        raise _refuse(N_("contains control characters"), "control_characters")
    if UNSTORABLE.search(text):
        raise _refuse(N_("contains characters that cannot be stored"), "unstorable")
    if spec.type == "text" and ("\n" in text or "\r" in text):
        raise _refuse(N_("one line only"), "multiline")
    if spec.type == "choice" and text not in {c.value for c in spec.choices}:
        raise _refuse(N_("not one of the offered choices"), "not_a_choice")
    if spec.type == "number":
        try:
            number = float(text)
        except ValueError:
            raise _refuse(N_("not a number"), "not_a_number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise _refuse(N_("not a number"), "not_a_number")
        if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
            raise _refuse(N_("must be between %(min)s and %(max)s"), "out_of_range", min=spec.min, max=spec.max)
        return int(number) if number.is_integer() else number
    if spec.type == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise _refuse(N_("not a date (YYYY-MM-DD)"), "not_a_date") from None
    if spec.type == "phone":
        try:
            return to_e164(text, region)
        except InvalidNumber:
            raise _refuse(N_("not a phone number"), "not_a_phone_number") from None
    if spec.type == "email" and not EMAIL.match(text):
        raise _refuse(N_("not an e-mail address"), "not_an_email")
    return text


def clean(form: FormSpec, data: dict[str, Any], *, region: str = "US", partial: bool = False) -> dict[str, Any]:
    """Return the cleaned answers or raise FormErrors (field -> message).

    ``partial`` is for drafts: nothing is required yet, bad values are dropped.
    Unknown keys are ignored, never stored.
    """
    out: dict[str, Any] = {}
    errors: dict[str, Refusal | str] = {}
    for spec in form.fields:
        try:
            value = _clean_one(spec, data.get(spec.name), region)
        except Refusal as exc:
            if not partial:
                exc.field = spec.name
                errors[spec.name] = exc
            continue
        if value in (None, []) and spec.required and not partial:
            errors[spec.name] = Refusal(N_("required"), field=spec.name, code="required")
            continue
        if value not in (None, []):
            out[spec.name] = value
    if errors:
        raise FormErrors(errors)
    return out
