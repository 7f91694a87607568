"""A parsed mail as the intake's ``Inbound``: who wrote, what they wrote now, and what it answers."""
from __future__ import annotations

import re
from typing import Any

from ...models import Channel, utcnow
from ...tickets.numbers import is_valid
from ..base import Inbound, Sender
from .loops import no_reply
from .parse import ParsedMail

# Our replies tag the subject "[#1000017]"; people also write "#1000017", "Ticket 1000017", "工单号：1000017".
TICKET_NUMBER = re.compile(
    r"(?:\[\s*#?\s*|#\s*|(?:ticket|case|工单|单号)\s*(?:no\.?|number|号|编号)?\s*[#:：]?\s*)(?<!\d)(\d{7,12})(?!\d)",
    re.IGNORECASE)


def ticket_number(subject: str) -> str | None:
    """The first ticket number in ``subject`` whose check digit is right (a mistyped one is ignored)."""
    for found in TICKET_NUMBER.finditer(subject or ""):
        if is_valid(found.group(1)):
            return found.group(1)
    return None


def thread_keys(mail: ParsedMail) -> list[str]:
    """In-Reply-To first, then References newest first, each once."""
    return list(dict.fromkeys([*mail.in_reply_to, *reversed(mail.references)]))


def to_inbound(mail: ParsedMail, *, own_address: str, own_domain: str) -> Inbound:
    verdict = no_reply(mail, own_address=own_address, own_domain=own_domain)
    meta: dict[str, Any] = {
        "date": mail.date.isoformat() if mail.date else None,
        "to": mail.to, "cc": mail.cc, "in_reply_to": mail.in_reply_to, "references": mail.references,
        "size": mail.size,
    }
    if verdict is not None:
        meta["no_reply_evidence"] = verdict.evidence
    own = own_address.strip().lower()
    recipients = [*mail.to, *mail.cc]
    return Inbound(
        channel=Channel.EMAIL, channel_key=mail.message_id,
        sender=Sender("email", mail.from_address, mail.from_name),
        subject=mail.subject, body=mail.reply_text or mail.text,
        recipient=own if own in recipients or not recipients else recipients[0],
        received_at=utcnow(), attachments=tuple(mail.attachments), thread_keys=thread_keys(mail),
        ticket_number=ticket_number(mail.subject), no_reply=verdict.reason if verdict else None, meta=meta)
