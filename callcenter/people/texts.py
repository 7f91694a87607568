"""The shapes of what admins type for people and codes: one line of text, and a code such as ``billing``."""
from __future__ import annotations

import re

# Skill and wrap-up codes: what forms, the IVR, reports and the dispatcher store and match on.
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def line(value: str | None, limit: int, required: bool = False) -> str | None:
    """One line of printable text with its spaces collapsed; None if it is empty but required, too long,
    or holds control characters (a name must not break a page, a CSV or an AMI header)."""
    text = " ".join((value or "").split())
    if (required and not text) or len(text) > limit or not text.isprintable():
        return None
    return text
