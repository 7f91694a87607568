"""One fetched e-mail into the database, in its own transaction: a ticket's message, or a bounce noted.

The IMAP fetcher marks a mail seen only after ``MailIntake.store`` returned,
so whatever fails here leaves the mail on the server to be fetched again;
the intake's ``(channel, Message-ID)`` uniqueness makes that second fetch
one message.  A delivery report about one of our replies is noted on that
reply's ticket (never answered) and marks the refused address bounced; a
report that names no reply of ours goes through the intake like any mail,
so a forged report cannot mark a customer's address.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from ... import db
from ...access.audit import Actor
from ...conversations.service import Conversations
from ...customers.service import CustomerService
from ...i18n import N_, say_in
from ...models import Channel, Message, MessageDirection, Ticket
from ..intake import ChannelIntake
from ..settings import EmailSettings
from .bounces import Bounce, bounces
from .inbound import thread_keys, to_inbound
from .loops import BOUNCE
from .parse import ParsedMail, parse

log = logging.getLogger(__name__)

TOO_LARGE = N_("This e-mail was %(size)s bytes, over the limit of %(limit)s bytes, so it was not downloaded: "
               "it stays on the mail server. Its sender and subject are above.")
# Our replies' keys live on the channel they were queued on; a web form's replies go by e-mail too.
OUR_CHANNELS = (Channel.EMAIL, Channel.WEB)


class MailIntake:
    def __init__(self, settings: EmailSettings, session_factory: sessionmaker[Session], intake: ChannelIntake,
                 conversations: Conversations, customers: CustomerService) -> None:
        self.settings, self.session_factory = settings, session_factory
        self.intake, self.conversations, self.customers = intake, conversations, customers
        self.actor = Actor.system("channel:email")

    def store(self, raw: bytes, *, too_large: int | None = None) -> Message:
        """Store one mail (``raw`` is only its header when ``too_large`` gives its real size); committed on return."""
        mail = parse(raw)
        with db.transaction(self.session_factory) as session:
            if too_large is None and mail.is_report:
                noted = self._report(session, raw, mail)
                if noted is not None:
                    return noted
            inbound = to_inbound(mail, own_address=self.settings.address, own_domain=self.settings.message_id_domain)
            if too_large is not None:
                params = {"size": f"{too_large:,}", "limit": f"{self.settings.max_message_bytes:,}"}
                note = "\n\n".join(say_in(language, TOO_LARGE, params) for language in ("en", "zh"))
                inbound = dataclasses.replace(inbound, body=note, attachments=(),
                                              meta={**inbound.meta, "too_large": too_large})
            return self.intake.receive(session, inbound).message

    def _report(self, session: Session, raw: bytes, mail: ParsedMail) -> Message | None:
        """A delivery report about one of our replies, noted on its ticket; None when it names none of ours."""
        found = bounces(raw)
        ours = self._our_reply(session, [*(b.original_message_id for b in found if b.original_message_id),
                                         *thread_keys(mail)])
        if ours is None:
            return None
        ticket = session.get(Ticket, ours.ticket_id)
        assert ticket is not None  # a message's ticket is deleted with it
        recorded = self.conversations.record_inbound(
            session, ticket, channel=Channel.EMAIL, channel_key=mail.message_id, body=mail.text,
            subject=mail.subject, sender=mail.from_address or None, recipient=self.settings.address,
            actor=self.actor)
        if not recorded.new:
            return recorded.message
        recorded.message.meta = {"no_reply": BOUNCE, "bounced_message_id": ours.id,
                                 "bounces": [_described(b) for b in found]}
        refused = (ours.recipient or "").strip().lower()
        for bounce in found:
            # Only the address our reply went to: a report cannot mark anyone else's.
            if bounce.permanent and bounce.address.strip().lower() == refused:
                reason = " ".join(part for part in (bounce.status, bounce.diagnostic) if part)[:500]
                self.customers.address_bounced(session, bounce.address, reason, self.actor)
        return recorded.message

    def _our_reply(self, session: Session, keys: Sequence[str]) -> Message | None:
        for key in dict.fromkeys(k for k in keys if k):
            for channel in OUR_CHANNELS:
                message = self.conversations.find(session, channel, key)
                if message is not None and message.direction == MessageDirection.OUTBOUND:
                    return message
        return None


def _described(bounce: Bounce) -> dict[str, object]:
    return {"address": bounce.address, "status": bounce.status, "permanent": bounce.permanent,
            "diagnostic": bounce.diagnostic[:500]}
