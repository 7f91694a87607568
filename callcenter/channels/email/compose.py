"""An agent's reply as the e-mail a customer's mail program threads: headers, parts and files.

The Message-ID is minted from the message's id, so a reply sent again after a
crash carries the same id and the customer's program shows it once; it is
also what the customer's answer quotes in In-Reply-To, which is how that
answer finds its ticket again.  The subject carries ``[#<number>]`` once, for
the mail programs that drop In-Reply-To.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from ...conversations.attachments import AttachmentStore
from ...models import utcnow
from ..base import DeliveryError, Outgoing
from ..settings import EmailSettings

# Kept in References: the first key and the most recent ones (RFC 5322 3.6.4 allows trimming the middle).
REFERENCES_KEPT = 10
MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


def message_id(message_pk: int, ticket_number: str, domain: str) -> str:
    """The same id for the same reply, every time it is sent."""
    return f"<m{message_pk}.{ticket_number}@{domain}>"


def tag(ticket_number: str) -> str:
    return f"[#{ticket_number}]"


def one_line(value: str) -> str:
    """A header value from text people typed: no line breaks (no header injection), single spaces."""
    return " ".join((value or "").split())


def subject_for(subject: str, ticket_subject: str, ticket_number: str) -> str:
    """The reply's subject, or ``Re: <the ticket's>``, with the ticket's tag exactly once, at the end."""
    mark = tag(ticket_number)
    text = one_line(subject) or f"Re: {one_line(ticket_subject)}".rstrip()
    text = one_line(text.replace(mark, " "))
    return f"{text} {mark}".strip()


def references(thread: Sequence[str]) -> list[str]:
    """The thread's Message-IDs (a web form's keys are not ones), bounded: the first and the latest."""
    ids = [key.strip() for key in thread if MESSAGE_ID.match((key or "").strip())]
    if len(ids) > REFERENCES_KEPT:
        ids = [ids[0], *ids[-(REFERENCES_KEPT - 1):]]
    return ids


def recipient(to: str) -> Address:
    try:
        address = Address(addr_spec=one_line(to))
    except (ValueError, IndexError) as exc:  # the header parser's words for a malformed address
        raise DeliveryError(f"not an e-mail address: {to[:100]!r}", permanent=True) from exc
    if not address.username or not address.domain:
        raise DeliveryError(f"not an e-mail address: {to[:100]!r}", permanent=True)
    return address


def compose(outgoing: Outgoing, settings: EmailSettings, store: AttachmentStore | None) -> EmailMessage:
    """The whole e-mail for one queued reply (UTF-8 throughout)."""
    message, ticket = outgoing.message, outgoing.ticket
    number = ticket.number or str(ticket.id)
    mail = EmailMessage()
    mail["From"] = Address(one_line(settings.display_name), addr_spec=settings.address)
    mail["To"] = recipient(outgoing.to)
    mail["Subject"] = subject_for(message.subject, ticket.subject or "", number)
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = message_id(message.id, number, settings.message_id_domain)
    thread = references(outgoing.thread)
    if thread:
        mail["In-Reply-To"] = thread[-1]
        mail["References"] = " ".join(thread)
    meta = message.meta or {}
    if meta.get("auto_submitted"):
        mail["Auto-Submitted"] = "auto-replied"
    mail["X-Loop"] = settings.address
    mail.set_content(message.body, charset="utf-8")
    html = meta.get("html")
    if isinstance(html, str) and html.strip():
        mail.add_alternative(html, subtype="html", charset="utf-8")
    for attachment in message.attachments:
        path = store.file_for(attachment) if store is not None else None
        if path is None:
            # Sending without it would tell the customer something the agent did not write.
            raise DeliveryError(f"attachment {attachment.id} ({attachment.filename}) is not on disk", permanent=True)
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(path.read_bytes(), maintype=maintype or "application",
                            subtype=subtype or "octet-stream", filename=attachment.filename)
    return mail
