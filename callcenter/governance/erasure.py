"""Erasure of one customer on request (the right to be forgotten), as the CLI and the admin page use it.

What identifies the person goes: recordings, transcripts, numbers, e-mail
addresses and WeChat OpenIDs (so the next message from one of them makes a
new customer, never finds this one), names and the free text they dictated; the statistics a supervisor needs stay
(times, queue, disposition, agent).  ``preview`` runs the real erasure
inside a transaction it rolls back (no file touched), so what it shows is
exactly what ``erase`` would remove; ``erase`` commits it with an audit row
naming who asked and why, and announces it (``customer_erased``) so copies
elsewhere (a CRM) can go too.  Erasing twice changes nothing the second time.
"""
from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..access import audit
from ..access.audit import Actor
from ..config import Settings
from ..conversations.attachments import AttachmentStore
from ..db import rowcount, transaction
from ..models import (
    Attachment,
    Call,
    Callback,
    CallbackStatus,
    CallLeg,
    Channel,
    ChannelAttempt,
    Customer,
    CustomerIdentity,
    CustomerPhone,
    DeskPop,
    FormSubmission,
    Message,
    Recording,
    Survey,
    Ticket,
    TicketNote,
    Transcript,
    utcnow,
)
from .notifier import ErasureNotifier
from .purge import Removed, delete_recordings

ERASED = "[erased]"


class Erasure:
    def __init__(self, factory: sessionmaker[Session], settings: Settings, notifier: ErasureNotifier) -> None:
        self.factory, self.settings, self.notifier = factory, settings, notifier

    def preview(self, customer_id: int) -> Removed:
        """What erasing now would remove; raises LookupError for an unknown customer."""
        with self.factory() as session:
            try:
                return erase_customer(session, customer_id, self.settings, Actor.system("preview"),
                                      reason="preview", dry_run=True)
            finally:
                session.rollback()

    def unconfirmed(self, session: Session, customer_id: int, actor: Actor) -> None:
        """Someone asked to erase without confirming the id: nothing happens, but it is remembered."""
        audit.record(session, "customer_erasure_refused", actor, object_type="customer", object_id=customer_id,
                     outcome="refused", why="id not confirmed")

    def erase(self, customer_id: int, *, reason: str, actor: Actor) -> Removed:
        with transaction(self.factory) as session:
            removed = erase_customer(session, customer_id, self.settings, actor, reason=reason)
            self.notifier.customer_erased(session, customer_id, actor)
            return removed


def erase_customer(session: Session, customer_id: int, settings: Settings, actor: Actor, *, reason: str,
                   dry_run: bool = False) -> Removed:
    """Right to erasure: personal data of one customer gone, statistics kept anonymous.

    ``dry_run`` deletes no file and records no audit row: the caller rolls the
    transaction back and shows the counts as a preview.
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"no customer {customer_id}")
    removed = Removed()
    now = utcnow()
    numbers = list(session.scalars(select(CustomerPhone.number).where(CustomerPhone.customer_id == customer_id)))
    addresses = list(session.scalars(select(CustomerIdentity.value).where(CustomerIdentity.customer_id == customer_id)))
    calls = select(Call.id).where((Call.customer_id == customer_id) | Call.caller_number.in_(numbers or [""]))
    call_ids = list(session.scalars(calls))
    recordings = list(session.scalars(select(Recording).where(Recording.call_id.in_(call_ids),
                                                              Recording.purged_at.is_(None))))
    delete_recordings(recordings, settings.recordings_dir(), now, removed, dry_run)
    removed.transcripts = rowcount(session.execute(delete(Transcript).where(Transcript.call_id.in_(call_ids))))
    session.execute(delete(DeskPop).where(DeskPop.call_id.in_(call_ids)))  # the desk's copy of caller and customer
    anonymised = rowcount(session.execute(update(Call).where(Call.id.in_(call_ids), Call.caller_number.is_not(None))
                                          .values(caller_number=None, caller_raw=None, caller_name=None,
                                                  customer_id=None)))
    session.execute(update(CallLeg).where(CallLeg.call_id.in_(call_ids), CallLeg.kind == "caller")
                    .values(channel=ERASED))
    ticket_ids = list(session.scalars(select(Ticket.id).where(
        (Ticket.customer_id == customer_id) | Ticket.origin_call_id.in_(call_ids))))
    session.execute(update(Ticket).where(Ticket.id.in_(ticket_ids), Ticket.description != ERASED)
                    .values(description=ERASED, subject=ERASED, customer_id=None))
    session.execute(update(TicketNote).where(TicketNote.ticket_id.in_(ticket_ids)).values(body=ERASED))
    session.execute(update(FormSubmission).where(FormSubmission.ticket_id.in_(ticket_ids)).values(data={}))
    _erase_messages(session, ticket_ids, customer_id, numbers + addresses, settings, dry_run)
    session.execute(update(Callback).where(Callback.customer_id == customer_id,
                                           Callback.status == CallbackStatus.PENDING)
                    .values(status=CallbackStatus.CANCELLED, outcome_detail="customer erased"))
    session.execute(update(Callback).where(Callback.customer_id == customer_id)
                    .values(number=ERASED, customer_id=None))
    session.execute(update(Survey).where(Survey.customer_id == customer_id).values(customer_id=None))
    removed.identifiers = rowcount(session.execute(delete(CustomerPhone).where(
        CustomerPhone.customer_id == customer_id)))
    removed.identifiers += rowcount(session.execute(delete(CustomerIdentity).where(
        CustomerIdentity.customer_id == customer_id)))
    # The web form's rate limit keeps a sender's address for a while: not past their erasure.
    session.execute(delete(ChannelAttempt).where(ChannelAttempt.key.in_(addresses or [""])))
    first_time = customer.erased_at is None
    customer.name, customer.email, customer.company, customer.notes = ERASED, None, None, ""
    customer.external_ref = None
    customer.erased_at = customer.erased_at or now
    removed.calls, removed.tickets = anonymised, len(ticket_ids)
    if (first_time or removed.any()) and not dry_run:
        audit.record(session, "customer_erased", actor, object_type="customer", object_id=customer_id,
                     reason=reason[:200], recordings=removed.recordings, transcripts=removed.transcripts,
                     calls_anonymised=anonymised, tickets=len(ticket_ids),
                     identifiers=removed.identifiers)
    return removed


def _erase_messages(session: Session, ticket_ids: list[int], customer_id: int, identifiers: list[str],
                    settings: Settings, dry_run: bool) -> None:
    """The customer's messages keep their place in the timeline, without their words, addresses or files.

    Messages are theirs by ticket, by customer, or by one of their identifiers as sender or
    recipient (a reply sent to their address from someone else's ticket); ``meta`` goes too, as
    it holds what the channel said of the sender (an OpenID, a References chain of their addresses).
    """
    known = identifiers or [""]
    lowered = [v.lower() for v in known]  # e-mail addresses are stored as the sender wrote them
    messages = select(Message.id).where(
        Message.ticket_id.in_(ticket_ids) | (Message.customer_id == customer_id)
        | Message.sender.in_(known) | Message.recipient.in_(known)
        | (Message.channel == Channel.EMAIL) & (func.lower(Message.sender).in_(lowered)
                                               | func.lower(Message.recipient).in_(lowered)))
    attachments = list(session.scalars(select(Attachment).where(Attachment.message_id.in_(messages))))
    if not dry_run:
        AttachmentStore(settings.attachments_dir(), settings.conversations.max_attachment_bytes).delete(attachments)
    session.execute(delete(Attachment).where(Attachment.id.in_([a.id for a in attachments])))
    session.execute(update(Message).where(Message.id.in_(messages))
                    .values(body=ERASED, subject=ERASED, sender=None, recipient=None, customer_id=None, meta={}))
