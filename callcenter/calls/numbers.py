"""Caller numbers to E.164. Caller ID is untrusted input: anything odd is refused."""
from __future__ import annotations

import re

import phonenumbers

# What a SIP caller-ID user part may reasonably contain before parsing.
_DIALLABLE = re.compile(r"^\+?[0-9()\-. ]{2,32}$")


class InvalidNumber(ValueError):
    pass


def to_e164(raw: str | None, region: str = "US") -> str:
    """Normalise a caller ID or typed number to E.164, or raise InvalidNumber.

    Numbers in international form ("+86 138 0013 8000", "0086...") keep their
    country; national ones take ``region``.  Letters, control characters and
    dialplan syntax never pass.
    """
    if raw is None:
        raise InvalidNumber("no number")
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise InvalidNumber("control characters in number")
    text = raw.strip(" ")
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _DIALLABLE.match(text):
        raise InvalidNumber(f"not a phone number: {raw!r:.40}")
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"not a phone number: {raw!r:.40}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumber(f"not a possible number: {raw!r:.40}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def try_e164(raw: str | None, region: str = "US") -> str | None:
    try:
        return to_e164(raw, region)
    except InvalidNumber:
        return None


def display(number: str) -> str:
    """Human form for screens: '+1 202-555-0143'."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
