"""Server-side validation of intake answers against the form's declaration."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..calls.numbers import InvalidNumber, to_e164
from .schema import FieldSpec, FormSpec

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Lone surrogates ("\ud800" in a JSON body) cannot be encoded in UTF-8: the database would refuse them.
UNSTORABLE = re.compile(r"[\ud800-\udfff]")


class FormErrors(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _clean_one(spec: FieldSpec, raw: Any, region: str) -> Any:
    if spec.type == "checkbox":
        return raw in (True, "on", "true", "1", 1, "yes")
    if spec.type == "multichoice":
        values = raw if isinstance(raw, list) else ([raw] if raw not in (None, "") else [])
        allowed = {c.value for c in spec.choices}
        if any(not isinstance(v, str) or v not in allowed for v in values):
            raise ValueError("not one of the offered choices")
        return sorted(set(values))
    if raw is None:
        return None
    if not isinstance(raw, (str, int, float)):
        raise ValueError("unexpected value")
    text = str(raw).strip()
    if not text:
        return None
    if len(text) > spec.max_length:
        raise ValueError(f"at most {spec.max_length} characters")
    if CONTROL.search(text):
        raise ValueError("contains control characters")
    if UNSTORABLE.search(text):
        raise ValueError("contains characters that cannot be stored")
    if spec.type == "text" and ("\n" in text or "\r" in text):
        raise ValueError("one line only")
    if spec.type == "choice" and text not in {c.value for c in spec.choices}:
        raise ValueError("not one of the offered choices")
    if spec.type == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("not a number")
        if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
            raise ValueError(f"must be between {spec.min} and {spec.max}")
        return int(number) if number.is_integer() else number
    if spec.type == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("not a date (YYYY-MM-DD)") from None
    if spec.type == "phone":
        try:
            return to_e164(text, region)
        except InvalidNumber:
            raise ValueError("not a phone number") from None
    if spec.type == "email" and not EMAIL.match(text):
        raise ValueError("not an e-mail address")
    return text


def clean(form: FormSpec, data: dict[str, Any], *, region: str = "US", partial: bool = False) -> dict[str, Any]:
    """Return the cleaned answers or raise FormErrors (field -> message).

    ``partial`` is for drafts: nothing is required yet, bad values are dropped.
    Unknown keys are ignored, never stored.
    """
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in form.fields:
        try:
            value = _clean_one(spec, data.get(spec.name), region)
        except ValueError as exc:
            if not partial:
                errors[spec.name] = str(exc)
            continue
        if value in (None, []) and spec.required and not partial:
            errors[spec.name] = "required"
            continue
        if value not in (None, []):
            out[spec.name] = value
    if errors:
        raise FormErrors(errors)
    return out
