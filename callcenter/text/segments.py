"""How many SMS a text costs, counted the way the network counts it.

A text that fits the GSM 03.38 alphabet goes as 7-bit septets: 160 in one
SMS, 153 per part once it is split (the other 7 carry the part header).
The extension table's characters (``^{}\\[~]|€`` and form feed) take two
septets each (an escape and the character).  Any other character (Chinese,
an emoji, a curly quote) sends the whole text as UCS-2: 70 UTF-16 units in
one SMS, 67 per part, and a character outside the BMP (most emoji) takes
two units.  A part never splits an escape pair or a surrogate pair, so
parts are packed whole characters at a time: that is why a long text may
need one part more than its length divided by 153 (or 67).

``web/static/segments.js`` counts the same way for the live counter; a test
checks both agree.
"""
from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7, UCS2 = "gsm7", "ucs2"
# (one SMS, each part of a split text), in septets for GSM 7-bit and UTF-16 units for UCS-2.
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class Segments:
    """A text's cost: its encoding, its length in that encoding's units, and how many SMS it takes."""

    encoding: str
    units: int
    count: int

    @property
    def single_limit(self) -> int:
        """Units one SMS holds in this encoding (160 or 70)."""
        return LIMITS[self.encoding][0]

    @property
    def fits_one(self) -> bool:
        return self.count <= 1


def encoding_of(text: str) -> str:
    return GSM7 if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text) else UCS2


def _cost(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in GSM_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def measure(text: str) -> Segments:
    """The SMS ``text`` costs (an empty text costs none)."""
    encoding = encoding_of(text)
    costs = [_cost(ch, encoding) for ch in text]
    units = sum(costs)
    single, part = LIMITS[encoding]
    if units <= single:
        return Segments(encoding, units, 1 if units else 0)
    count, used = 1, 0
    for cost in costs:
        if used + cost > part:  # this character starts the next part; a pair is never split
            count, used = count + 1, 0
        used += cost
    return Segments(encoding, units, count)
