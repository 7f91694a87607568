"""Delivery reports (RFC 3464): which of our replies could not be delivered, to whom, and for good or not.

A mail server that gives up sends a ``multipart/report`` whose
``message/delivery-status`` part has one block per recipient
(``Final-Recipient``, ``Action``, ``Status``, ``Diagnostic-Code``) and
returns our message (or its headers) beside it.  Only a permanent failure
(``Action: failed``, status 5.x.x) marks an address; a delay is reported
but changes nothing.
"""
from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

from sqlalchemy.orm import Session

from ...access.audit import Actor
from ...customers.service import CustomerService
from .charsets import decode, safe
from .parse import ids

STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
REPORTED_ACTIONS = ("failed", "delayed")


@dataclass(frozen=True)
class Bounce:
    address: str
    # The enhanced status code, e.g. "5.1.1" (user unknown) or "4.4.1" (no answer from host).
    status: str
    diagnostic: str
    permanent: bool
    original_message_id: str | None


def bounces(mail_raw: bytes) -> list[Bounce]:
    """The failed and delayed recipients a delivery report names; [] for any other mail (never raises)."""
    try:
        msg = email.message_from_bytes(bytes(mail_raw or b""))
        parts = list(msg.walk())
    except Exception:  # noqa: BLE001 - not a report we can read is no report
        return []
    original = _original_id(parts)
    found: list[Bounce] = []
    for part in parts:
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _blocks(part)[1:]:  # the first block is about the message, the rest per recipient
            bounce = _bounce(block, original)
            if bounce is not None:
                found.append(bounce)
    return found


def mark_bounced(session: Session, customers: CustomerService, found: list[Bounce], actor: Actor, *,
                 own_domain: str) -> list[str]:
    """Mark each permanently failed address on its customer; the addresses that were a customer's.

    Anyone can send a report, so only one that returns a message of ours (a Message-ID on
    ``own_domain``) counts: a forged report cannot silence a customer's address.
    """
    suffix = f"@{own_domain.strip().lower().lstrip('@')}>"
    marked = []
    for bounce in found:
        ours = (bounce.original_message_id or "").lower().endswith(suffix)
        reason = f"{bounce.status} {bounce.diagnostic}".strip()
        if bounce.permanent and ours and customers.address_bounced(session, bounce.address, reason, actor):
            marked.append(bounce.address)
    return marked


def _blocks(part: Message) -> list[Message]:
    """The report's header blocks (the stdlib parses each as a message; a bare text payload we parse)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    raw = part.get_payload(decode=True)
    text = decode(raw if isinstance(raw, bytes) else b"", "utf-8").replace("\r\n", "\n")
    return [email.message_from_string(block.strip() + "\n") for block in re.split(r"\n\s*\n", text) if block.strip()]


def _bounce(block: Message, original: str | None) -> Bounce | None:
    action = _field(block, "action").lower()
    if action not in REPORTED_ACTIONS:
        return None
    recipient = _field(block, "final-recipient") or _field(block, "original-recipient")
    address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
    if "@" not in address:
        return None
    diagnostic = _field(block, "diagnostic-code")
    diagnostic = diagnostic.split(";", 1)[-1].strip() if ";" in diagnostic else diagnostic
    code = STATUS.search(_field(block, "status")) or STATUS.search(diagnostic)
    status = code.group(0) if code else ("5.0.0" if action == "failed" else "4.0.0")
    return Bounce(address=address[:320], status=status, diagnostic=diagnostic[:1000],
                  permanent=action == "failed" and status.startswith("5"), original_message_id=original)


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return "" if value is None else " ".join(safe(str(value)).split())


def _original_id(parts: list[Message]) -> str | None:
    """Our message's Message-ID, from the returned message or its headers."""
    for part in parts:
        kind = part.get_content_type()
        try:
            if kind == "message/rfc822":
                inner = part.get_payload()
                if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                    found = ids(str(inner[0].get("message-id") or ""))
                    if found:
                        return found[0]
            elif kind == "text/rfc822-headers":
                raw = part.get_payload(decode=True)
                headers = BytesHeaderParser().parsebytes(raw if isinstance(raw, bytes) else b"")
                found = ids(str(headers.get("message-id") or ""))
                if found:
                    return found[0]
        except Exception:  # noqa: BLE001 - an unreadable original is an unknown one
            continue
    return None
