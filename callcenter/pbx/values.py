"""The one gate for values we send to Asterisk, and the one cleaner for text it sends us.

panoramisk writes AMI action values verbatim and pyst2 escapes nothing in
AGI commands, so a value holding CR/LF would inject an AMI header or a
second AGI command, and ``${...}``/``$[...]`` would be evaluated by the
dialplan that later reads it.  Such values are refused (``checked``),
never cleaned silently.  Text that comes *from* Asterisk (caller names,
raw caller IDs, channel variables) is untrusted too: ``inert`` makes it
safe to store and show.
"""
from __future__ import annotations

import re
import unicodedata

MAX_VALUE = 1024
_FORBIDDEN = re.compile(r'["\\]|\$\{|\$\[')
_EXPRESSION_MARKS = re.compile(r"\$(?=[{\[])")
# What Asterisk says when it has no caller ID.
_NOTHING = ("", "<unknown>")


class UnsafeValue(ValueError):
    """A value that must not reach Asterisk."""


def has_control(text: str) -> bool:
    """Control characters, including Unicode line and paragraph separators."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


def checked(value: object, what: str = "value", max_len: int = MAX_VALUE) -> str:
    """The value as text, or UnsafeValue if it could inject a header or command or be evaluated."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UnsafeValue(f"{what}: expected text, got {type(value).__name__}")
    text = str(value)
    if len(text) > max_len:
        raise UnsafeValue(f"{what}: longer than {max_len} characters")
    if has_control(text):
        raise UnsafeValue(f"{what}: control characters (CR/LF ...) are refused")
    if _FORBIDDEN.search(text):
        raise UnsafeValue(f"{what}: quotes, backslashes and dialplan expressions are refused")
    return text


def inert(text: str | None, limit: int = 80) -> str | None:
    """Untrusted text made safe to store and show: no control or format characters,
    no ``${``/``$[`` left to evaluate, at most ``limit`` characters (None if nothing is left)."""
    if text is None or text in _NOTHING:
        return None
    if not (text.isprintable() and "$" not in text):  # the common case needs neither pass
        text = "".join(c if c.isprintable() or unicodedata.category(c) == "Zs" else " " for c in text)
        while _EXPRESSION_MARKS.search(text):  # "$${" would leave "${" after one pass
            text = _EXPRESSION_MARKS.sub("", text)
    return text.strip()[:limit] or None
