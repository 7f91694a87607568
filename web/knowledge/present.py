"""How an article's text is shown: escaped always, paragraphs and safe links, matched words marked, diffs.

An author types plain text.  Nothing they type is ever rendered as HTML:
every piece is escaped, and only what we add is markup (``<p>``, ``<br>``,
``<mark>``, and ``<a>`` around an http(s) address, which opens in a new tab
without telling the target where it came from).
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from callcenter.i18n import N_
from callcenter.models import KnowledgeCategory
from callcenter.text import segments, words
from callcenter.text.normal import fold

STATUSES = {"draft": _l("Draft"), "published": _l("Published"), "archived": _l("Archived")}
LOCALES = {"en": "English", "zh": "中文"}
VARIANT_STATUSES = {"approved": _l("Approved"), "candidate": _l("Waiting for review"),
                    "dismissed": _l("Dismissed")}
VARIANT_SOURCES = {"author": _l("Written by an editor"), "ticket": _l("From a ticket"),
                   "rejection": _l("A customer's answer to an auto-reply")}
LINK = re.compile(r"https?://[^\s<>\"'（）。，、]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""
RUN = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def reader_locale() -> str:
    return "zh" if str(get_locale() or "en") == "zh" else "en"


def category_name(category: KnowledgeCategory | None) -> str:
    if category is None:
        return "—"
    return category.name_zh if reader_locale() == "zh" and category.name_zh else category.name_en


def _linked(line: str) -> Markup:
    """One line, escaped, with each http(s) address a link (trailing punctuation left outside it)."""
    out, last = Markup(""), 0
    for match in LINK.finditer(line):
        url = match.group(0).rstrip(TRAILING)
        end = match.start() + len(url)
        out += escape(line[last:match.start()])
        out += Markup('<a href="{0}" rel="noopener noreferrer nofollow" target="_blank">{0}</a>').format(url)
        last = end
    return out + escape(line[last:])


def paragraphs(text: str) -> Markup:
    """Plain text as paragraphs (a blank line between them), line breaks kept, addresses clickable."""
    blocks = [b for b in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip()) if b.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(Markup("<br>").join(_linked(line) for line in b.split("\n")))
                           for b in blocks)


def sms(short: str) -> segments.Segments:
    """What the short answer costs as an SMS."""
    return segments.measure(short or "")


def _is_match(run: str, matched: set[str]) -> bool:
    """A Latin word matches when its stem is a matched word (refunds -> refund)."""
    stems = words.terms(run)
    return bool(stems) and stems[0] in matched


def highlight(text: str, matched: Iterable[str]) -> Markup:
    """``text`` escaped, with the words a search matched in ``<mark>`` (Chinese words found inside runs)."""
    wanted = {m for m in matched if m}
    if not text or not wanted:
        return escape(text or "")
    han = sorted((m for m in wanted if HAN.search(m)), key=len, reverse=True)
    out, last = Markup(""), 0
    for run in RUN.finditer(text):
        piece = run.group(0)
        out += escape(text[last:run.start()])
        last = run.end()
        if not HAN.search(piece):
            out += Markup("<mark>{}</mark>").format(piece) if _is_match(piece, wanted) else escape(piece)
            continue
        out += _mark_han(piece, han)
    return out + escape(text[last:])


def _mark_han(piece: str, han: list[str]) -> Markup:
    folded = fold(piece)
    if len(folded) != len(piece):  # folding changed the length: positions would not line up
        folded = piece
    marks = [False] * len(piece)
    for word in han:
        start = folded.find(word)
        while start >= 0:
            marks[start:start + len(word)] = [True] * len(word)
            start = folded.find(word, start + len(word))
    out, i = Markup(""), 0
    while i < len(piece):
        j = i
        while j < len(piece) and marks[j] == marks[i]:
            j += 1
        out += Markup("<mark>{}</mark>").format(piece[i:j]) if marks[i] else escape(piece[i:j])
        i = j
    return out


def diff(old: str, new: str) -> list[tuple[str, str]]:
    """Line by line, what changed from ``old`` to ``new``: ("same" | "removed" | "added", line) pairs."""
    kinds = {" ": "same", "-": "removed", "+": "added"}
    return [(kinds[line[0]], line[2:]) for line in difflib.ndiff((old or "").splitlines(), (new or "").splitlines())
            if line[:1] in kinds]


def note(text: str) -> str:
    """A revision's note in the reader's language when the service wrote it; an author's note as typed."""
    if text == "created":
        return str(gettext("Created"))
    for pattern, said in ((r"restored revision (\d+)", N_("Restored revision %(n)s")),
                          (r"from ticket (\d+)", N_("Written from ticket %(n)s"))):
        match = re.fullmatch(pattern, text or "")
        if match:
            return str(gettext(said, n=match.group(1)))
    return text
