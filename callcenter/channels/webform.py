"""The public contact form: a stranger's message becomes a ticket beside calls and e-mail.

Everything on the form is untrusted, so the order matters: a form already
stored (its one-time nonce, minted when the page was shown) is answered
with its ticket and writes nothing; a filled honeypot looks accepted but
only leaves an audit row; then every field is checked (nothing is written
for a bad one); then the rate limit, counted in ``channel_attempts`` so
every web process sees the same count; and only then the channel intake
stores it, once, and an acknowledgement is queued in the visitor's language.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..access import audit
from ..access.audit import Actor
from ..conversations.attachments import AttachmentRefused, IncomingFile
from ..conversations.service import Conversations
from ..customers import identities
from ..customers.service import CustomerService
from ..i18n import LANGUAGES, N_, Refusal, say_in
from ..models import Channel, ChannelAttempt, Customer, Ticket, utcnow
from .base import Inbound, Sender
from .intake import ChannelIntake
from .settings import WebFormSettings

ACTOR = Actor.system("webform")
WINDOW = dt.timedelta(hours=1)
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
MIN_TEXT, MAX_TEXT, MAX_NAME, SUBJECT = 10, 5000, 200, 120
# The words of the acknowledgement (translated in the catalogue like every other sentence).
ACK_SUBJECT = N_("We received your message [%(number)s]")
ACK_BODY = N_("Hello %(name)s,\n\nThank you for writing to us. Your message is now ticket %(number)s; "
              "we will answer you at this address.\nIf you write to us about it again, please keep the "
              "ticket number in the subject.\n\nThis message was sent automatically.")


class WebFormError(Refusal):
    """A submission with fields we cannot use; ``refusals`` says why for each (nothing was written)."""

    def __init__(self, refusals: dict[str, Refusal]) -> None:
        super().__init__(N_("Some fields need your attention."), code="invalid")
        self.refusals = refusals


class RateLimited(Refusal):
    """Too many submissions from one address (the IP, or the e-mail given) within the hour."""


@dataclass(frozen=True)
class Submission:
    """The form as the visitor sent it: every value is raw, as typed."""

    nonce: str
    category: str
    name: str
    email: str
    phone: str
    description: str
    # The client's IP, as the web server saw it (behind trusted proxies only).
    address: str
    language: str = "en"
    files: Sequence[IncomingFile] = ()
    # The hidden field a person never fills.
    trap: str = ""


@dataclass(frozen=True)
class Accepted:
    """What the visitor is told: their ticket (None for a trapped bot) and whether it is new."""

    ticket_number: str | None
    new: bool
    acknowledged: bool = False


def mint_nonce() -> str:
    """A one-time id for one showing of the form: its message's channel key."""
    return secrets.token_urlsafe(24)


class WebForm:
    def __init__(self, settings: WebFormSettings, intake: ChannelIntake, conversations: Conversations,
                 customers: CustomerService, region: str) -> None:
        self.settings, self.intake, self.conversations, self.customers = settings, intake, conversations, customers
        self.region = region

    def submit(self, session: Session, form: Submission) -> Accepted:
        """Store one submission as a ticket (once per nonce) and queue its acknowledgement.

        Raises ``WebFormError`` for bad fields and ``RateLimited``; either way nothing is written.
        """
        nonce = form.nonce.strip()
        if NONCE.match(nonce):
            stored = self.conversations.find(session, Channel.WEB, nonce)
            if stored is not None:  # a double click or a re-posted page: the same ticket
                ticket = session.get(Ticket, stored.ticket_id)
                return Accepted(ticket.number if ticket is not None else None, False)
        if form.trap.strip():
            return self._trapped(session, form)
        email, phone = self._check(form, nonce)
        keys = [f"ip:{form.address[:64]}"] + ([f"email:{_digest(email)}"] if email else [])
        self._count(session, keys)
        language = form.language if form.language in LANGUAGES else "en"
        sender = Sender("email", email, form.name.strip()) if email else Sender("phone", phone, form.name.strip())
        body = form.description.strip()
        received = self.intake.receive(session, Inbound(
            channel=Channel.WEB, channel_key=nonce, sender=sender, category=form.category, language=language,
            subject=" ".join(body.split())[:SUBJECT], body=body, attachments=list(form.files),
            meta={"form": "contact"}))
        if not received.new:  # another process stored this nonce between our look and our insert
            return Accepted(received.ticket.number, False)
        customer = session.get(Customer, received.ticket.customer_id) if received.ticket.customer_id else None
        if email and phone and customer is not None:
            # The other identifier joins the customer only when nobody else has it.
            self.customers.add_identity(session, customer, ACTOR, kind=identities.PHONE, value=phone)
        acknowledged = bool(email) and self._acknowledge(session, received.ticket, email, form.name, language)
        return Accepted(received.ticket.number, True, acknowledged)

    def _check(self, form: Submission, nonce: str) -> tuple[str, str]:
        """The normalised e-mail and phone (either may be empty), or every field's refusal at once."""
        errors: dict[str, Refusal] = {}
        if not NONCE.match(nonce):
            errors["form"] = Refusal(N_("This form has expired; please send it again."), field="form",
                                     code="bad_nonce")
        if form.category not in self.settings.categories:
            errors["category"] = Refusal(N_("Please choose one of the listed topics."), field="category",
                                         code="bad_category")
        name = form.name.strip()
        if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
            errors["name"] = Refusal(N_("Please give your name (up to %(n)s characters)."), field="name",
                                     code="bad_name", n=MAX_NAME)
        email = identities.normalise("email", form.email, self.region) if form.email.strip() else ""
        if email is None:
            errors["email"] = Refusal(N_("This is not an e-mail address we can write to."), field="email",
                                      code="bad_email")
        phone = identities.normalise(identities.PHONE, form.phone, self.region) if form.phone.strip() else ""
        if phone is None:
            errors["phone"] = Refusal(N_("This is not a phone number we can call."), field="phone",
                                      code="bad_phone")
        if not form.email.strip() and not form.phone.strip():
            errors["email"] = Refusal(N_("Please give an e-mail address or a phone number, so we can answer you."),
                                      field="email", code="no_contact")
        text = form.description.strip()
        if not MIN_TEXT <= len(text) <= MAX_TEXT:
            errors["description"] = Refusal(N_("Please describe your request in %(min)s to %(max)s characters."),
                                            field="description", code="bad_length", min=MIN_TEXT,
                                            max=f"{MAX_TEXT:,}")
        files = list(form.files)
        if len(files) > self.settings.max_files:
            errors["attachments"] = Refusal(N_("You can attach at most %(n)s files."), field="attachments",
                                            code="too_many", n=self.settings.max_files)
        else:
            try:
                self.conversations.store.refuse_too_large(files)
            except AttachmentRefused as exc:
                errors["attachments"] = exc
        if errors:
            raise WebFormError(errors)
        return email or "", phone or ""

    def _count(self, session: Session, keys: list[str]) -> None:
        """One attempt per address, refused past the hourly limit; rows older than the window go."""
        now = utcnow()
        session.execute(delete(ChannelAttempt).where(ChannelAttempt.channel == Channel.WEB,
                                                     ChannelAttempt.at < now - WINDOW))
        for key in keys:
            seen = session.scalar(select(func.count()).select_from(ChannelAttempt).where(
                ChannelAttempt.channel == Channel.WEB, ChannelAttempt.key == key,
                ChannelAttempt.at >= now - WINDOW)) or 0
            if seen >= self.settings.per_address_per_hour:
                raise RateLimited(N_("Too many messages from your address. Please try again in an hour."),
                                  code="rate_limited")
        session.add_all(ChannelAttempt(channel=Channel.WEB, key=key, at=now) for key in keys)
        session.flush()

    def _trapped(self, session: Session, form: Submission) -> Accepted:
        """A bot filled the hidden field: it is counted and audited, and nothing else is kept."""
        self._count(session, [f"ip:{form.address[:64]}"])
        audit.record(session, "webform_trapped", ACTOR, object_type="channel", object_id=Channel.WEB.value,
                     outcome="refused", address=form.address[:64])
        return Accepted(None, True)

    def _acknowledge(self, session: Session, ticket: Ticket, email: str, name: str, language: str) -> bool:
        params = {"number": ticket.number, "name": name.strip() or email}
        message = self.conversations.queue_outbound(
            session, ticket, ACTOR, channel=Channel.WEB, recipient=email,
            subject=say_in(language, ACK_SUBJECT, params), body=say_in(language, ACK_BODY, params))
        # The e-mail sender turns this into ``Auto-Submitted: auto-replied`` (RFC 3834): no reply loops.
        message.meta = {**message.meta, "auto_submitted": "auto-replied"}
        return True


def _digest(email: str) -> str:
    """An address as the attempts table keeps it: fixed length, and not the address itself."""
    return hashlib.sha256(email.encode()).hexdigest()
