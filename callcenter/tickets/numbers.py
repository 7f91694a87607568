"""Ticket numbers a caller can read out and key on a phone: digits + Luhn check.

``1000017`` is ticket id 1 (``100001`` + check digit ``7``).  The check digit
lets the IVR reject a mistyped number at once instead of reading out someone
else's ticket.
"""
from __future__ import annotations

BASE = 100000


def luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_valid(digits: str) -> bool:
    return digits.isdigit() and len(digits) >= 2 and luhn_digit(digits[:-1]) == int(digits[-1])


def number_for(ticket_id: int) -> str:
    body = str(BASE + ticket_id)
    return body + str(luhn_digit(body))


def is_valid(number: str) -> bool:
    """Digits only, at least 7 long, with a correct check digit."""
    return isinstance(number, str) and len(number) >= 7 and number.isascii() and luhn_valid(number)
