"""Bytes from a mail part to text, whatever its label says.

Chinese clients declare ``gb2312`` and send GBK (or GB18030) characters, and
some mail declares a charset that does not exist or is wrong; the text must
still come through, so we try the label (widened), then UTF-8, then GB18030,
and finally Latin-1, which decodes any byte.
"""
from __future__ import annotations

import codecs
import re

# Labels whose real-world content is a superset's: decode as the superset.
WIDER = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030",
    "csgb2312": "gb18030", "chinese": "gb18030", "iso-ir-58": "gb18030", "ascii": "utf-8", "us-ascii": "utf-8",
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs", "shift_jis": "cp932",
}
FALLBACKS = ("utf-8", "gb18030")
# Everything a reader must not get: controls (C0 but tab and newline, C1) and lone surrogates.
UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def codec_for(label: str | None) -> str | None:
    """A text codec Python knows for a declared charset label, or None."""
    name = (label or "").strip().strip('"').lower()
    name = WIDER.get(name, name)
    if not name or len(name) > 40:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # base64, rot13 and friends are codecs too, but not text encodings.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode(data: bytes, label: str | None = None) -> str:
    """``data`` as text: the declared charset, else UTF-8, else GB18030, else Latin-1; never raises."""
    tried: list[str] = []
    for name in (codec_for(label), *FALLBACKS):
        if name is None or name in tried:
            continue
        tried.append(name)
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError, ValueError):
            continue
    return data.decode("latin-1", errors="replace")


def safe(text: str) -> str:
    """Text a person can be shown: newlines normalised, controls dropped."""
    return UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
