"""What the sender wrote now: the quoted history under a reply cut off.

mail-parser-reply knows the English and European clients' reply headers
("On ... wrote:", "From: ... Sent: ...", "-----Original Message-----").  Its
Chinese rules (1.36) find only Outlook's header written with ASCII colons:
they miss Foxmail and QQ Mail's ``------------------ 原始邮件 ------------------``,
NetEase's ``---- 回复的原邮件 ----``, Gmail's and Apple Mail's ``... 写道：``
and Outlook's header with full-width colons (``发件人：``).  ``HISTORY``
finds those first; the library then reads what is left.
"""
from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

QUOTE = r"^[ \t]*(?:>[ \t]?)*[ \t]*"
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
PARSER = EmailReplyParser(languages=["zh", "en"])


def latest_reply(text: str) -> str:
    """``text`` without the quoted history under it; empty when nothing new was written."""
    found = HISTORY.search(text)
    if found is not None:
        text = text[:found.start()]
    try:
        reply = PARSER.parse_reply(text) or ""
    except Exception:  # noqa: BLE001 - a library regex on odd text: keep our own cut rather than lose it
        reply = text
    return _without_trailing_quote(reply).strip()


def _without_trailing_quote(text: str) -> str:
    """Drop a block of ``>`` lines at the end (a bottom quote with no header line above it)."""
    lines = text.rstrip().split("\n")
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)
