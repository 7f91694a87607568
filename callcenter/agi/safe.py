"""The one gate for everything we send to Asterisk over AGI.

pyst2 escapes nothing: a value holding ``"`` and a newline becomes a second
AGI command, and ``${...}`` or ``$[...]`` in a value the dialplan later puts
inside ``$[...]`` is evaluated there.  So every argument of every command
passes ``command_line`` below, which accepts only:

* ``Quoted`` values made by ``quote`` (no CR/LF or other control characters,
  no ``"`` or ``\\``, no ``${``/``$[``: refused, never silently passed);
* plain tokens (digits, file names, option letters) matching ``_TOKEN``;
* ``Trusted`` dialplan expressions built here from constant variable names
  (how we *read* channel variables: base64-encoded by Asterisk itself, so a
  value with a newline can never split a response line).

Text we store (caller name, raw caller ID) goes through ``inert``.
"""
from __future__ import annotations

import base64
import binascii
import re
import unicodedata

MAX_VALUE = 1024

_FORBIDDEN = re.compile(r'["\\]|\$\{|\$\[')
_TOKEN = re.compile(r"^[A-Za-z0-9_./:,#*+@=-]{0,200}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\([A-Za-z0-9_]*\))?$")
_EXPRESSION_MARKS = re.compile(r"\$(?=[{\[])")


class UnsafeValue(ValueError):
    """A value that must not reach Asterisk; the handler cannot go on with it."""


class Quoted(str):
    """An argument already checked and wrapped in double quotes."""


class Trusted(str):
    """A dialplan expression built here from constants, never from input."""


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


def checked(value: object) -> str:
    """The value as text, or UnsafeValue if it could inject or be evaluated."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UnsafeValue(f"not a text or integer value: {type(value).__name__}")
    text = str(value)
    if len(text) > MAX_VALUE:
        raise UnsafeValue("value too long")
    if _has_control(text):
        raise UnsafeValue("control character (CR/LF ...) in value")
    if _FORBIDDEN.search(text):
        raise UnsafeValue("quote, backslash or dialplan expression in value")
    return text


def quote(value: object) -> Quoted:
    if isinstance(value, Trusted):
        return Quoted(f'"{value}"')
    return Quoted(f'"{checked(value)}"')


def variable_name(name: str) -> str:
    if not _VARIABLE.match(name):
        raise UnsafeValue(f"not a channel variable name: {name!r:.40}")
    return name


def read_expression(name: str) -> Trusted:
    """``${BASE64_ENCODE(${NAME})}``: Asterisk hands back inert base64 text."""
    return Trusted("${BASE64_ENCODE(${%s})}" % variable_name(name))


def sync_token(hex_token: str) -> Trusted:
    if not re.fullmatch(r"[0-9a-f]{8,64}", hex_token):
        raise UnsafeValue("sync token must be hex")
    return Trusted(f"cc-sync-{hex_token}")


def decode(b64: str, limit: int = MAX_VALUE) -> str:
    """The text behind a ``read_expression`` answer (invalid UTF-8 replaced)."""
    try:
        raw = base64.b64decode(b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise UnsafeValue("answer is not base64") from None
    return raw[: limit * 4].decode("utf-8", "replace")


def _argument(arg: object) -> str:
    if isinstance(arg, (Quoted, Trusted)):
        return str(arg)
    if isinstance(arg, int) and not isinstance(arg, bool):
        return str(arg)
    if isinstance(arg, str) and _TOKEN.match(arg):
        return arg
    raise UnsafeValue(f"argument refused: {str(arg)[:40]!r}")


def command_line(command: str, *args: object) -> bytes:
    """One AGI command line, every argument checked; the only way out."""
    if not re.fullmatch(r"[A-Z][A-Z ]{1,40}", command.strip().upper()):
        raise UnsafeValue(f"not an AGI command: {command!r:.40}")
    parts = [command.strip()] + [_argument(a) for a in args]
    line = " ".join(p for p in parts if p != "")
    if _has_control(line):  # belt and braces: nothing above lets one through
        raise UnsafeValue("control character in command line")
    return (line + "\n").encode("utf-8")


def inert(text: str | None, limit: int) -> str | None:
    """Untrusted text made safe to store and show: no control characters,
    no ``${``/``$[`` left to evaluate, at most ``limit`` characters."""
    if text is None:
        return None
    cleaned = "".join(" " if _has_control(c) else c for c in text)
    while _EXPRESSION_MARKS.search(cleaned):  # "$${" would leave "${" after one pass
        cleaned = _EXPRESSION_MARKS.sub("", cleaned)
    cleaned = cleaned.strip()
    return cleaned[:limit] or None


def slug(text: str, limit: int = 40) -> str:
    """A short [a-z0-9-] label for CC_FAIL_REASON and log lines."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out[:limit] or "error"
