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

The checks themselves are ``callcenter.pbx.values``, shared with the AMI actions;
text we store (caller name, raw caller ID) goes through its ``inert``.
"""
from __future__ import annotations

import base64
import binascii
import re

from ..pbx.values import MAX_VALUE, UnsafeValue, checked, has_control

_TOKEN = re.compile(r"^[A-Za-z0-9_./:,#*+@=-]{0,200}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\([A-Za-z0-9_]*\))?$")


class Quoted(str):
    """An argument already checked and wrapped in double quotes."""


class Trusted(str):
    """A dialplan expression built here from constants, never from input."""


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
    return Trusted("${BASE64_ENCODE(${" + variable_name(name) + "})}")


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
    if has_control(line):  # belt and braces: nothing above lets one through
        raise UnsafeValue("control character in command line")
    return (line + "\n").encode("utf-8")


def slug(text: str, limit: int = 40) -> str:
    """A short [a-z0-9-] label for CC_FAIL_REASON and log lines."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out[:limit] or "error"
