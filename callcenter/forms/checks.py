"""Check a form's TOML text and say what is wrong, line by line, in words the admin's language has.

A TOML syntax error comes with tomllib's line and column; a schema error
(pydantic's, or one of our rules in ``schema``) is placed on the line of
the key at fault (``lines``).  Every problem is a ``Refusal`` with an
``N_`` template, so the web shows it in English or Chinese.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..i18n import N_, Refusal
from .lines import Path, key_lines, line_of
from .schema import FormSpec

MAX_TEXT = 100_000  # characters: sixty fields with long help texts fit many times over
AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
# tomllib's messages (Python 3.11), each said again as a template the catalogue translates.
TOML_SAYINGS = [
    (re.compile(r"Cannot overwrite a value"), N_("This value is already set above.")),
    (re.compile(r"Cannot declare (?P<key>.+) twice"), N_("%(key)s is declared twice.")),
    (re.compile(r"Cannot (?:mutate immutable|redefine) namespace (?P<key>.+)"),
     N_("%(key)s is already defined and cannot be extended here.")),
    (re.compile(r"Duplicate inline table key (?P<key>.+)"), N_("%(key)s appears twice in the same { … }.")),
    (re.compile(r"Expected '=' after a key in a key/value pair"), N_("Expected = after the key.")),
    (re.compile(r"Expected '\]' at the end of a table declaration"), N_("Expected ] to close the [table] header.")),
    (re.compile(r"Expected '\]\]' at the end of an array declaration"), N_("Expected ]] to close the [[…]] header.")),
    (re.compile(r"Expected newline or end of document"),
     N_("One key = value per line: start what follows on a new line (or make it a # comment).")),
    (re.compile(r"Invalid value"),
     N_("Not a value: text goes in quotes; or write true, false, a number or a list [ … ].")),
    (re.compile(r"Invalid statement"), N_("Each line is key = value, a [table] or a [[list]] header.")),
    (re.compile(r"Unclosed array"), N_("A list [ … ] is not closed.")),
    (re.compile(r"Unclosed inline table"), N_("A table { … } is not closed (it must end on the same line).")),
    (re.compile(r"Unterminated string|Expected '(?:\"\"\"|\'\'\')'|Illegal character '\\n'"),
     N_("A text is missing its closing quote.")),
    (re.compile(r"(?:Illegal|Found invalid) character (?P<char>.+)"),
     N_("The character %(char)s is not allowed here.")),
    (re.compile(r"Invalid initial character for a key part"),
     N_("A key is letters, digits, _ or - (or in quotes).")),
    (re.compile(r"Unescaped '\\' in a string|Invalid hex value|Escaped character is not a Unicode"),
     N_("A backslash in a text starts an escape: write \\\\ for a backslash.")),
    (re.compile(r"Invalid date or datetime"), N_("This date or time is not valid.")),
]
# pydantic's error types, each said as a template; the key is the last name in the error's location.
SCHEMA_SAYINGS = {
    "missing": N_("%(key)s is missing."),
    "extra_forbidden": N_("%(key)s is not a key a form knows."),
    "literal_error": N_("%(key)s must be one of %(expected)s."),
    "string_too_short": N_("%(key)s cannot be empty."),
    "string_too_long": N_("%(key)s is longer than %(max_length)s characters."),
    "too_short": N_("%(key)s needs at least %(min_length)s entries."),
    "too_long": N_("%(key)s may have at most %(max_length)s entries."),
    "string_type": N_("%(key)s must be text in quotes."),
    "bool_type": N_("%(key)s must be true or false."), "bool_parsing": N_("%(key)s must be true or false."),
    "int_type": N_("%(key)s must be a whole number."), "int_parsing": N_("%(key)s must be a whole number."),
    "int_from_float": N_("%(key)s must be a whole number."),
    "float_type": N_("%(key)s must be a number."), "float_parsing": N_("%(key)s must be a number."),
    "list_type": N_("%(key)s must be a list [ … ]."),
    "model_type": N_("%(key)s must be a table { … }."), "dict_type": N_("%(key)s must be a table { … }."),
    "greater_than_equal": N_("%(key)s must be at least %(ge)s."),
    "less_than_equal": N_("%(key)s must be at most %(le)s."),
}
WRAPUP = N_("Wrap-up codes are no longer part of a form: the centre keeps one list for every call, "
            "under Administration › Wrap-up codes. Remove this key.")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the text: where (1-based line, column if known) and why."""

    line: int
    column: int | None
    refusal: Refusal


@dataclass(frozen=True)
class Checked:
    spec: FormSpec | None
    problems: list[Problem]


def check(text: str, *, slug: str | None = None, editor: bool = False) -> Checked:
    """Parse and validate ``text``; ``slug``: the form it must stay; ``editor``: the editor's own rules too."""
    extra: Extra | None = (lambda data, lines: _editor_rules(data, lines, slug)) if editor else None
    spec, problems = validate(text, FormSpec, extra)
    return Checked(spec, problems)


M = TypeVar("M", bound=BaseModel)
Extra = Callable[[dict[str, Any], dict[Path, int]], list["Problem"]]


def validate(text: str, model: type[M], extra: Extra | None = None) -> tuple[M | None, list[Problem]]:
    """Parse TOML ``text`` into ``model``: the object, or every problem on its line (an automation rule's
    editor uses this too); ``extra``: more checks on the parsed data."""
    if len(text) > MAX_TEXT:
        return None, _only(Refusal(N_("The definition is longer than %(n)s characters."), code="too_long",
                                   n=MAX_TEXT)).problems
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax(text, str(exc))]
    lines = key_lines(text)
    problems = extra(data, lines) if extra is not None else []
    parsed: M | None
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        problems += [_schema(error, lines) for error in exc.errors()]
        parsed = None
    problems.sort(key=lambda p: p.line)
    return (None if problems else parsed), problems


def _only(refusal: Refusal) -> Checked:
    return Checked(None, [Problem(1, None, refusal)])


def _syntax(text: str, message: str) -> Problem:
    at = AT.search(message)
    reason = message[:at.start()] if at else message
    if at and at.group(1):
        line, column = int(at.group(1)), int(at.group(2))
    else:  # at the end of the document
        line, column = text.count("\n") + 1, None
    for pattern, template in TOML_SAYINGS:
        found = pattern.match(reason)
        if found:
            params = {k: _dotted(v) for k, v in found.groupdict().items()}
            return Problem(line, column, Refusal(template, code="toml", **params))
    return Problem(line, column, Refusal(N_("Not valid TOML: %(reason)s"), code="toml", reason=reason))


def _dotted(key: str) -> str:
    """tomllib names a table by its key tuple, ``('fields',)``: say ``fields``."""
    parts = re.findall(r"'([^']*)'", key) if key.startswith("(") else []
    return ".".join(parts) if parts else key


def _schema(error: ErrorDetails, lines: dict[Path, int]) -> Problem:
    loc: Path = tuple(error["loc"])
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    cause = ctx.pop("error", None)
    if isinstance(cause, Refusal):
        if cause.field:
            loc += tuple(int(p) if p.isdigit() else p for p in cause.field.split("."))
        return Problem(line_of(lines, loc), None, cause)
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if "expected" in ctx:  # pydantic lists choices in English ("'a', 'b' or 'c'"): a plain list reads in any language
        ctx["expected"] = str(ctx["expected"]).replace(" or ", ", ")
    template = SCHEMA_SAYINGS.get(error["type"], N_("%(key)s: %(reason)s"))
    return Problem(line_of(lines, loc), None, Refusal(template, field=".".join(map(str, loc)), code=error["type"],
                                                      key=key, reason=error["msg"],
                                                      **{k: v for k, v in ctx.items() if k not in ("field", "code")}))


def _editor_rules(data: dict[str, Any], lines: dict[Path, int], slug: str | None) -> list[Problem]:
    """What the editor refuses beyond the schema: wrap-up codes in a form, and another form's slug."""
    problems = []
    if "wrapup_codes" in data:
        problems.append(Problem(line_of(lines, ("wrapup_codes",)), None,
                                Refusal(WRAPUP, field="wrapup_codes", code="wrapup_codes")))
    if slug is not None and data.get("slug", slug) != slug:
        problems.append(Problem(line_of(lines, ("slug",)), None, Refusal(
            N_("The slug cannot change (tickets point to it): keep %(slug)s, or create a new form."),
            field="slug", code="slug_changed", slug=repr(slug))))
    return problems
