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
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime, unquote

from ...conversations.attachments import IncomingFile
from ...models.conversations import CHANNEL_KEY_LENGTH
from .charsets import decode, safe
from .htmltext import html_to_text
from .quoting import latest_reply

# The headers loops.py, bounces and the transport need, lower-cased.
KEPT_HEADERS = ("auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress",
                "list-id", "list-unsubscribe", "x-loop", "return-path", "content-type")
RAW_BYTES = re.compile(r"[\udc80-\udcff]")
MSG_ID = re.compile(r"<([^<>\s]{1,998})>")
# The newest ids of a long thread are last in References: read it whole, keep the last 50.
MAX_IDS, MAX_IDS_HEADER = 50, 200_000
MAX_HEADER = 2000
# Text beyond this is not shown (a message holds 200,000 characters) and HTML beyond it would take seconds
# to lay out; such a part is also kept whole as a file.
MAX_TEXT = 200_000


@dataclass(frozen=True)
class ParsedMail:
    """One e-mail as the channel needs it: ids normalised to ``<...>``, text decoded and safe."""

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
    body = Body()
    try:
        msg = email.message_from_bytes(raw)
        body.visit(msg)
    except Exception:  # noqa: BLE001 - e.g. MIME nested thousands deep: keep the headers, the rest as text
        body = Body()
        try:
            msg = BytesHeaderParser().parsebytes(raw)
        except Exception:  # noqa: BLE001 - not even headers: all of it is text
            msg = Message()
        rest = raw.replace(b"\r\n", b"\n").partition(b"\n\n")[2]
        body.texts.append(safe(decode(rest if len(msg) else raw)).strip())
    text = "\n\n".join(t for t in body.texts if t).strip()
    from_name, from_address = _first_address(msg)
    return ParsedMail(
        message_id=_message_id(msg) or synthetic_id(raw),
        subject=" ".join(header(msg, "subject").split()),
        from_address=from_address, from_name=from_name,
        in_reply_to=ids(header(msg, "in-reply-to", MAX_IDS_HEADER))[:MAX_IDS],
        references=ids(header(msg, "references", MAX_IDS_HEADER))[-MAX_IDS:],
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
    return list(dict.fromkeys(_fitting(f"<{m}>") for m in MSG_ID.findall(value)))


def _fitting(message_id: str) -> str:
    """An id too long to be a channel key, as a stable shorter one (the same wherever it is quoted)."""
    if len(message_id) <= CHANNEL_KEY_LENGTH:
        return message_id
    return f"<{hashlib.sha256(message_id.encode()).hexdigest()}@long-id.invalid>"


def _message_id(msg: Message) -> str | None:
    value = header(msg, "message-id").strip()
    found = ids(value)
    if found:
        return found[0]
    bare = value.strip("<> \t")  # some senders forget the brackets
    return _fitting(f"<{bare}>") if bare and "@" in bare and not re.search(r"[\s<>]", bare) else None


def header(msg: Message, name: str, limit: int = MAX_HEADER) -> str:
    """One header decoded (RFC 2047 words in any charset, raw 8-bit bytes too), or ""."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a header the parser cannot hand back is an absent one
        return ""
    return "" if value is None else _decoded(value)[:limit]


def _decoded(value: str | Header) -> str:
    try:
        chunks = decode_header(value)
    except Exception:  # noqa: BLE001 - a broken encoded-word is kept as written
        return " ".join(safe(str(value)).split())
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            # Raw 8-bit bytes reach us as surrogates: give them back to the charset fallbacks.
            out.append(decode(chunk.encode("utf-8", "surrogateescape")) if RAW_BYTES.search(chunk) else chunk)
        else:
            out.append(decode(chunk, None if charset in (None, "unknown-8bit") else charset))
    return " ".join(safe("".join(out)).split())


def addresses(msg: Message, name: str, *, bare: bool = False) -> list[tuple[str, str]]:
    """``(display name, lower-cased address)`` of an address header; names decoded after splitting.

    ``bare`` keeps a name without a domain too (``From: MAILER-DAEMON``): it says who sent it.
    """
    try:
        values = msg.get_all(name) or []
        raw = [v if isinstance(v, str) else _decoded(v) for v in values]
        pairs = getaddresses(raw)
    except Exception:  # noqa: BLE001 - an unreadable address list is an empty one
        return []
    found = []
    for display, addr in pairs:
        addr = addr.strip().lower()
        if addr and ("@" in addr or bare) and len(addr) <= 320 and not re.search(r"[\s<>]", addr):
            found.append((_decoded(display)[:200] if display else "", addr))
    return found


def _first_address(msg: Message) -> tuple[str, str]:
    found = addresses(msg, "from", bare=True) or addresses(msg, "sender", bare=True)
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
    return str(msg.get_param("report-type") or "").lower() == "delivery-status"


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
            self._read(part, kind)
            return
        if not as_text and kind in ("text/plain", "text/html") and not name and disposition != "attachment":
            return  # the alternative we did not choose: the same words again
        self._keep(part, kind, name)

    def _read(self, part: Message, kind: str) -> None:
        """A body part's text; one too long to show whole is also kept whole as a file."""
        data = _payload(part)
        text = decode(data, _charset(part))
        if len(text) > MAX_TEXT:
            self.files.append(IncomingFile(f"message{_extension(kind)}", kind, data))
        if kind == "text/html":
            self.texts.append(html_to_text(text[:MAX_TEXT]))
        else:
            self.texts.append(safe(text[:MAX_TEXT]).strip())

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
        payload = child.get_payload()  # still transfer-encoded: blank stays blank, and nothing is decoded twice
        if child.get_content_type() == "text/plain" and isinstance(payload, str) and payload.strip():
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


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001 - an unreadable charset parameter is an unknown charset
        return None


def _filename(part: Message) -> str:
    """The name the sender gave (RFC 2231 or RFC 2047 in any charset, or raw 8-bit), or ""."""
    try:
        name = _param(part, "content-disposition", "filename") or _param(part, "content-type", "name") or ""
    except Exception:  # noqa: BLE001 - a mangled parameter is a missing name
        return ""
    if isinstance(name, tuple):  # RFC 2231: (charset, language, the %-decoded bytes as Latin-1)
        charset, _, text = name
        name = decode(str(text).encode("latin-1", "surrogateescape"), charset)
    return _decoded(unquote(str(name)))[:255]


def _param(part: Message, header_name: str, name: str) -> str | tuple[str | None, str | None, str] | None:
    """A header's parameter; in a header with raw 8-bit bytes, read after our charset fallbacks.

    The stdlib would replace such bytes with U+FFFD before we see them (a GBK filename sent raw).
    """
    value: object = part.get(header_name)
    if isinstance(value, Header):
        part = Message()
        part[header_name] = _decoded(value)
    found = part.get_param(name, header=header_name)
    return found if isinstance(found, str | tuple) else None


def _extension(kind: str) -> str:
    if kind == "message/rfc822":
        return ".eml"
    known = mimetypes.guess_extension(kind)
    return known or (".txt" if kind.startswith(("text/", "message/")) else ".bin")


def _inner(part: Message) -> Message | None:
    payload = part.get_payload()
    return payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
