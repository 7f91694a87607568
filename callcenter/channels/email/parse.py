"""Any bytes that claim to be an e-mail, read into what the channel needs, without ever raising.

Everything here is untrusted: a header may be missing, lie about its
charset or not decode at all, a part may be truncated.  ``parse`` gives the
best it can read, so a malformed message is still stored (possibly with
little text) rather than lost.  Each part's payload is decoded once.
"""
from __future__ import annotations

import datetime as dt
import email
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from ...conversations.attachments import IncomingFile
from .charsets import decode, safe
from .htmltext import html_to_text
from .quoting import latest_reply

# The headers loops.py, bounces and the transport need, lower-cased.
KEPT_HEADERS = ("auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress",
                "list-id", "list-unsubscribe", "x-loop", "return-path", "content-type")
MSG_ID = re.compile(r"<([^<>\s]{1,500})>")
MAX_IDS = 50
MAX_HEADER = 2000


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    text: str = ""
    reply_text: str = ""
    attachments: list[IncomingFile] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    is_report: bool = False
    size: int = 0


def parse(raw: bytes) -> ParsedMail:
    """``raw`` read as a message; garbage gives a message with a synthetic id and whatever text it had."""
    raw = bytes(raw or b"")
    try:
        msg = email.message_from_bytes(raw)
    except Exception:  # noqa: BLE001 - the stdlib parser is lenient, but nothing from outside may stop us
        return ParsedMail(message_id=synthetic_id(raw), text=safe(decode(raw)), reply_text="", size=len(raw))
    body = Body()
    body.visit(msg)
    text = "\n\n".join(t for t in body.texts if t).strip()
    from_name, from_address = _first_address(msg)
    return ParsedMail(
        message_id=_message_id(msg) or synthetic_id(raw),
        subject=" ".join(header(msg, "subject").split()),
        from_address=from_address, from_name=from_name,
        in_reply_to=ids(header(msg, "in-reply-to"))[:MAX_IDS],
        references=ids(header(msg, "references"))[-MAX_IDS:],
        to=[a for _, a in addresses(msg, "to")], cc=[a for _, a in addresses(msg, "cc")],
        date=_date(header(msg, "date")), text=text, reply_text=latest_reply(text) if text else "",
        attachments=body.files,
        headers={name: header(msg, name) for name in KEPT_HEADERS if msg.get(name) is not None},
        is_report=_is_report(msg), size=len(raw))


def synthetic_id(raw: bytes) -> str:
    """A stable Message-ID for a message without one: the same bytes fetched twice are one message."""
    return f"<{hashlib.sha256(raw).hexdigest()}@missing-id.invalid>"


def ids(value: str) -> list[str]:
    """The ``<...>`` message ids in a header, in order, each once."""
    return list(dict.fromkeys(f"<{m}>" for m in MSG_ID.findall(value)))


def _message_id(msg: Message) -> str | None:
    value = header(msg, "message-id").strip()
    found = ids(value)
    if found:
        return found[0]
    bare = value.strip("<> \t")  # some senders forget the brackets
    return f"<{bare}>" if bare and "@" in bare and len(bare) <= 500 and not re.search(r"[\s<>]", bare) else None


def header(msg: Message, name: str) -> str:
    """One header decoded (RFC 2047 words in any charset, raw 8-bit bytes too), or ""."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a header the parser cannot hand back is an absent one
        return ""
    return "" if value is None else _decoded(value)[:MAX_HEADER]


def _decoded(value: str | Header) -> str:
    try:
        chunks = decode_header(value)
    except Exception:  # noqa: BLE001 - a broken encoded-word is kept as written
        return " ".join(safe(str(value)).split())
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(decode(chunk, None if charset in (None, "unknown-8bit") else charset))
    return " ".join(safe("".join(out)).split())


def addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """``(display name, lower-cased address)`` of an address header; names decoded after splitting."""
    try:
        values = msg.get_all(name) or []
        raw = [v if isinstance(v, str) else _decoded(v) for v in values]
        pairs = getaddresses(raw)
    except Exception:  # noqa: BLE001 - an unreadable address list is an empty one
        return []
    found = []
    for display, addr in pairs:
        addr = addr.strip().lower()
        if addr and "@" in addr and len(addr) <= 320:
            found.append((_decoded(display)[:200] if display else "", addr))
    return found


def _first_address(msg: Message) -> tuple[str, str]:
    found = addresses(msg, "from") or addresses(msg, "sender")
    return found[0] if found else ("", "")


def _date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": the time is UTC, the zone unknown
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _is_report(msg: Message) -> bool:
    if msg.get_content_type() != "multipart/report":
        return False
    return (msg.get_param("report-type") or "").__str__().lower() == "delivery-status"


class Body:
    """Walks the MIME tree once: text of the chosen alternatives, every other part a file."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.files: list[IncomingFile] = []

    def visit(self, part: Message, *, as_text: bool = True) -> None:
        kind = part.get_content_type()
        if part.get_content_maintype() == "message":  # forwarded mail, delivery reports: kept whole, not read
            self._keep(part, kind, _filename(part))
            return
        if part.is_multipart():
            children = _children(part)
            chosen = _preferred(children) if kind == "multipart/alternative" else None
            for child in children:
                self.visit(child, as_text=as_text and (chosen is None or child is chosen))
            return
        name = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if as_text and not name and disposition != "attachment" and kind in ("text/plain", "text/html"):
            text = _text(part)
            self.texts.append(html_to_text(text) if kind == "text/html" else safe(text).strip())
            return
        if not as_text and kind in ("text/plain", "text/html") and not name:
            return  # the alternative we did not choose: the same words again
        self._keep(part, kind, name)

    def _keep(self, part: Message, kind: str, name: str) -> None:
        data = _payload(part)
        if not name and kind == "message/rfc822":
            subject = " ".join(header(_inner(part) or part, "subject").split())[:100]
            name = f"{subject or 'message'}.eml"
        name = name or f"attachment-{len(self.files) + 1}{_extension(kind)}"
        self.files.append(IncomingFile(filename=name, content_type=kind, data=data))


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _preferred(children: list[Message]) -> Message | None:
    """In an alternative, the plain text when it says anything, else the richest part (the last)."""
    for child in children:
        if child.get_content_type() == "text/plain" and _text(child).strip():
            return child
    return children[-1] if children else None


def _payload(part: Message) -> bytes:
    """The part's bytes, transfer encoding undone; an attached message as its own bytes."""
    try:
        if part.is_multipart() or part.get_content_maintype() == "message":
            inner = part.get_payload()
            if part.get_content_type() == "message/rfc822" and isinstance(inner, list) and len(inner) == 1:
                return inner[0].as_bytes() if isinstance(inner[0], Message) else b""
            if isinstance(inner, list):  # a delivery status: its blocks of fields, as they were
                return b"".join(b.as_bytes() for b in inner if isinstance(b, Message))
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - keep what can be kept
        return b""
    return data if isinstance(data, bytes) else b""


def _text(part: Message) -> str:
    try:
        label = part.get_content_charset()
    except Exception:  # noqa: BLE001 - an unreadable charset parameter is an unknown charset
        label = None
    return decode(_payload(part), label)


def _filename(part: Message) -> str:
    """The name the sender gave (RFC 2231 or RFC 2047, any charset), or ""."""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:  # noqa: BLE001 - a mangled parameter is a missing name
        return ""
    if isinstance(name, tuple):  # an RFC 2231 value the stdlib could not decode: (charset, language, text)
        charset, _, text = name
        name = decode(str(text).encode("latin-1", "surrogateescape"), charset)
    return _decoded(str(name))[:255]


def _extension(kind: str) -> str:
    if kind == "message/rfc822":
        return ".eml"
    known = mimetypes.guess_extension(kind)
    return known or (".txt" if kind.startswith(("text/", "message/")) else ".bin")


def _inner(part: Message) -> Message | None:
    payload = part.get_payload()
    return payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
