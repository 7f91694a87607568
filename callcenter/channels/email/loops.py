"""Mail we store but never answer automatically: bounces, our own mail coming back, auto-replies, lists.

Answering any of these starts a mail loop (two auto-responders answering
each other for ever) or spams a list.  The signs are those RFC 3834 and
the big clients use; each verdict keeps its evidence so an agent can see
why a message got no automatic answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .parse import ParsedMail

BOUNCE, LOOP, AUTO_REPLY, BULK = "bounce", "loop", "auto_reply", "bulk"
DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
# At the start of the subject, after any "Re:" / "回复：": what vacation and out-of-office replies say.
AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|回复|答复)\s*[:：]\s*)*(?:\[?\s*)"
    r"(?:automatic reply|auto[- ]?reply|auto[- ]?response|autoresponse|out of (?:the )?office|"
    r"vacation(?: reply)?|away from (?:the )?office|自动回复|自动答复|自动应答|休假|不在办公室)",
    re.IGNORECASE)
BULK_PRECEDENCE = ("bulk", "junk", "list")


@dataclass(frozen=True)
class NoReply:
    reason: str
    # The header or value that decided it, e.g. "auto-submitted: auto-replied".
    evidence: str


def no_reply(mail: ParsedMail, *, own_address: str, own_domain: str) -> NoReply | None:
    """Why this mail must not be answered automatically, with the evidence; None for a person's mail."""
    h = mail.headers
    local = mail.from_address.split("@", 1)[0]
    if mail.is_report:
        return NoReply(BOUNCE, "content-type: multipart/report; report-type=delivery-status")
    if local in DAEMONS:
        return NoReply(BOUNCE, f"from: {mail.from_address}")
    own, domain = own_address.strip().lower(), own_domain.strip().lower().lstrip("@")
    if own and mail.from_address == own:
        return NoReply(LOOP, f"from: {mail.from_address}")
    if own and own in h.get("x-loop", "").lower():
        return NoReply(LOOP, f"x-loop: {h['x-loop']}")
    if domain and mail.message_id.lower().endswith(f"@{domain}>"):
        return NoReply(LOOP, f"message-id: {mail.message_id}")
    return _automatic(mail) or _bulk(h)


def no_reply_reason(mail: ParsedMail, *, own_address: str, own_domain: str) -> str | None:
    """"bounce", "loop", "auto_reply", "bulk" or None (see ``no_reply``)."""
    verdict = no_reply(mail, own_address=own_address, own_domain=own_domain)
    return None if verdict is None else verdict.reason


def _automatic(mail: ParsedMail) -> NoReply | None:
    h = mail.headers
    submitted = h.get("auto-submitted", "").strip().lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return NoReply(AUTO_REPLY, f"auto-submitted: {submitted}")
    for name in ("x-autoreply", "x-autorespond"):
        if name in h:
            return NoReply(AUTO_REPLY, f"{name}: {h[name]}")
    suppress = h.get("x-auto-response-suppress", "").lower()
    if any(word in suppress for word in ("oof", "autoreply", "all")):
        return NoReply(AUTO_REPLY, f"x-auto-response-suppress: {h['x-auto-response-suppress']}")
    if h.get("precedence", "").strip().lower() == "auto_reply":
        return NoReply(AUTO_REPLY, "precedence: auto_reply")
    if AUTO_SUBJECT.match(mail.subject):
        return NoReply(AUTO_REPLY, f"subject: {mail.subject[:200]}")
    if h.get("return-path", "").strip() == "<>":
        return NoReply(AUTO_REPLY, "return-path: <>")
    return None


def _bulk(h: dict[str, str]) -> NoReply | None:
    precedence = h.get("precedence", "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return NoReply(BULK, f"precedence: {precedence}")
    for name in ("list-id", "list-unsubscribe"):
        if h.get(name):
            return NoReply(BULK, f"{name}: {h[name][:200]}")
    return None
