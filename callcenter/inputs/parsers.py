"""Safe parsers for user input: ids, whole numbers, days, choices and short texts.

Each raises only ``InvalidInput`` (a ``ValueError`` naming the field and what is wrong), so a
bad value is the caller's 400/422 or an ignored filter, never a 500.  Ids stay within the
database's INTEGER (PostgreSQL's int4); days stay within the years ``days`` can convert to UTC.
``Args`` reads a query string with them: strict (the API) raises, lenient (the pages) drops a
bad value and keeps a note of it for the page to show.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from .. import days
from ..i18n import N_, Refusal, fill

MAX_ID = 2**31 - 1  # INTEGER columns: PostgreSQL's int4 is the narrower of our two databases
MAX_OFFSET = 1_000_000
MAX_TEXT = 200
_DIGITS = re.compile(r"-?[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts '²' and '٣', which int() refuses
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
T = TypeVar("T")


class InvalidInput(Refusal):
    """``field`` holds a value we cannot use; ``message`` says what would do (English: the API's
    ``fields``; its N_ template and values are said in a person's language by the web)."""

    field: str

    def __init__(self, field: str, template: str, **params: Any) -> None:
        super().__init__(template, field=field, code="invalid", **params)
        self.message = fill(template, params)
        self.args = (f"{field}: {self.message}",)
        self.field = field


def whole(value: Any, field: str, *, lo: int = 0, hi: int = MAX_ID) -> int:
    """A whole number from ``lo`` to ``hi`` (ASCII digits only)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(field, N_("a whole number"))
    text = value.strip() if isinstance(value, str) else str(value)
    if not _DIGITS.fullmatch(text) or not lo <= int(text) <= hi:
        raise InvalidInput(field, N_("a whole number from %(lo)s to %(hi)s"), lo=lo, hi=hi)
    return int(text)


def ident(value: Any, field: str) -> int:
    """A record id (1 to MAX_ID)."""
    return whole(value, field, lo=1, hi=MAX_ID)


def day(value: Any, field: str) -> dt.date:
    """A calendar day written YYYY-MM-DD, in the years the centre can count."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        found = value
    elif isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
        try:
            found = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(field, N_("a real day, written YYYY-MM-DD")) from None
    else:
        raise InvalidInput(field, N_("a day written YYYY-MM-DD"))
    if not days.FIRST_YEAR <= found.year <= days.LAST_YEAR:
        raise InvalidInput(field, N_("a day from %(first)s to %(last)s"), first=days.FIRST_YEAR, last=days.LAST_YEAR)
    return found


def choice(value: Any, allowed: Collection[str], field: str) -> str:
    """One of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(field, N_("one of %(values)s"), values=", ".join(sorted(allowed)))
    return value


def text(value: Any, field: str, limit: int = MAX_TEXT) -> str:
    """A short text without NUL or lone surrogates (neither PostgreSQL nor UTF-8 can store them)."""
    if not isinstance(value, str):
        raise InvalidInput(field, N_("text"))
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidInput(field, N_("text without control characters"))
    return value.strip()[:limit]


class Args:
    """A query string read with the parsers above; empty or missing values are not given."""

    def __init__(self, args: Mapping[str, Any], *, strict: bool) -> None:
        self.args, self.strict = args, strict
        self.problems: dict[str, str] = {}

    def _read(self, name: str, parse: Callable[[Any, str], T]) -> T | None:
        return self._parse(self.args.get(name), name, parse)

    def _parse(self, raw: Any, name: str, parse: Callable[[Any, str], T]) -> T | None:
        if raw is None or raw == "":
            return None
        try:
            return parse(raw, name)
        except InvalidInput as exc:
            if self.strict:
                raise
            self.problems[name] = exc.message
            return None

    def ident(self, name: str) -> int | None:
        return self._read(name, ident)

    def idents(self, name: str) -> list[int]:
        """Every id given for a repeated parameter (``?queue=1&queue=2``)."""
        getlist = getattr(self.args, "getlist", None)
        values = getlist(name) if callable(getlist) else [self.args.get(name)]
        return [i for i in (self._parse(v, name, ident) for v in values) if i is not None]

    def whole(self, name: str, lo: int = 0, hi: int = MAX_ID) -> int | None:
        return self._read(name, lambda v, f: whole(v, f, lo=lo, hi=hi))

    def day(self, name: str) -> dt.date | None:
        return self._read(name, day)

    def choice(self, name: str, allowed: Collection[str]) -> str | None:
        return self._read(name, lambda v, f: choice(v, allowed, f))

    def text(self, name: str, limit: int = MAX_TEXT) -> str:
        return self._read(name, lambda v, f: text(v, f, limit)) or ""

    def period(self, zone: str, first: str = "from", last: str = "to") -> days.Days:
        """The days ``first`` to ``last`` (inclusive, either open); reversed bounds are put in order."""
        return days.between(self.day(first), self.day(last), zone)
