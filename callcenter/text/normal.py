"""Text folded to one form before it is cut into words, so the same words look the same.

What a reader sees as one word may arrive in many forms: full-width letters
and digits (ＷｉＦｉ, １２３), upper case, traditional characters (發票 for
发票), digit groups (1,000), and speech recognition's spacing, which puts a
space between Chinese characters (申 请 退 款).  All of them fold here,
once, for what is stored and for what is searched alike.
"""
from __future__ import annotations

import re
import threading
import unicodedata

import opencc

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
# Spaces between two Chinese characters carry nothing: Chinese is written without them.
HAN_SPACE = re.compile(rf"(?<=[{HAN}])\s+(?=[{HAN}])")
DIGIT_GROUP = re.compile(r"(?<=\d),(?=\d{3}\b)")

_local = threading.local()


def _converter() -> opencc.OpenCC:
    """One OpenCC converter per thread (its phrase tables load once per converter)."""
    found: opencc.OpenCC | None = getattr(_local, "t2s", None)
    if found is None:
        found = _local.t2s = opencc.OpenCC("t2s")
    return found


def simplified(text: str) -> str:
    """Traditional characters as simplified ones (發票 -> 发票); other text as it is."""
    return str(_converter().convert(text)) if text else text


def fold(text: str) -> str:
    """Width, case, script, digit groups and speech spacing folded (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = simplified(text)
    text = HAN_SPACE.sub("", text)
    return DIGIT_GROUP.sub("", text)
