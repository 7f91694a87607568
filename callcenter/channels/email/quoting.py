"""What the sender wrote now: the quoted history under a reply cut off.

mail-parser-reply knows the reply headers of English and European clients
("On ... wrote:", "From: ... Sent: ...", "-----Original Message-----").  Its
Chinese rules (1.36) find only Outlook's header written with ASCII colons:
they miss Foxmail and QQ Mail's ``------------------ 原始邮件 ------------------``,
NetEase's ``---- 回复的原邮件 ----``, Gmail's and Apple Mail's ``... 写道：``
and Outlook's header with full-width colons (``发件人：``); ``HISTORY`` adds those.

The library's own patterns backtrack badly on long lines (a 12 kB line of
"On On On ..." takes seconds), so they are searched over a skeleton of the
text: a line keeps at most ``LINE`` characters, and only the first
``CANDIDATES`` lines that could start a header are kept at all (the others
are blank).  The cost is then bounded, and the cut is made at the same line
of the real text.
"""
from __future__ import annotations

import re

from mailparser_reply.parser import EmailMessage

QUOTE = r"^[ \t>]*"
HISTORY = re.compile("|".join((
    # Foxmail, QQ Mail, NetEase (163/126), old Outlook zh-CN: a separator line.
    QUOTE + r"-{3,}\s*(?:原始邮件|邮件原件|回复的原邮件|原邮件)\s*-{3,}\s*$",
    # Gmail zh: "在 2026年12月1日周一 10:00，张三 <a@b.c> 写道：".
    QUOTE + r"在\s?.{4,160}?写道\s*[:：]\s*$",
    # Apple Mail and others: "2026年12月1日 上午10:00，张三 <a@b.c> 写道：" / "张三 于2026年12月1日 写道：".
    QUOTE + r".{0,160}?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,160}?写道\s*[:：]\s*$",
    # Outlook zh-CN, Foxmail's plain header: 发件人 followed within two lines by the date or recipient.
    QUOTE + r"\**发件人\**\s*[:：].*\n(?:.*\n)?" + QUOTE + r"\**(?:发送时间|日期|时间|收件人)\**\s*[:：]",
    # NetEase's table header under its separator, when the separator was lost: "| 发件人 | ... |".
    QUOTE + r"\|\s*发件人\s*\|",
)), re.MULTILINE)
# The library's reply-header patterns for Chinese and English (and its generic separators).
LIBRARY = EmailMessage(text="", languages=["zh", "en"]).HEADER_REGEX
# A line the library's patterns could start on ("On ... wrote:", "From: ...", "发件人: ...", "-----Original").
CANDIDATE = re.compile(r"[ \t>*]*(?:on\s|from|sent|to|subject|date|cc|organization"
                       r"|发件人|发送时间|收件人|主题|抄送|组织|\d{4}年|-{5,})", re.IGNORECASE)
LINE, CANDIDATES = 200, 100


def latest_reply(text: str) -> str:
    """``text`` without the quoted history under it; empty when nothing new was written."""
    lines = text.replace("\r\n", "\n").split("\n")
    short = [line.strip()[:LINE] for line in lines]
    cut = len(lines)
    for pattern, skeleton in ((HISTORY, "\n".join(short)), (LIBRARY, _candidates(short))):
        found = pattern.search(skeleton)
        if found is not None:
            start = found.start()
            # A pattern may start on the newline that ends the line before the header.
            start += skeleton[start] == "\n" if start < len(skeleton) else 0
            cut = min(cut, skeleton.count("\n", 0, start))
    return _without_trailing_quote(lines[:cut]).strip()


def _candidates(lines: list[str]) -> str:
    """The lines the library's patterns may read; the others blank, so line numbers stay the same."""
    kept, out = 0, []
    for line in lines:
        keep = kept < CANDIDATES and CANDIDATE.match(line) is not None
        kept += keep
        out.append(line if keep else "")
    return "\n".join(out)


def _without_trailing_quote(lines: list[str]) -> str:
    """Drop a block of ``>`` lines at the end (a bottom quote with no header line above it)."""
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines = lines[:-1]
    return "\n".join(line.rstrip() for line in lines)
