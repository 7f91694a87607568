"""A ticket's conversation, on SQLite and PostgreSQL: stored once per channel id, even under a race;
one timeline in time order; internal notes never reach an outbound path; files within the size limit."""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.access.audit import Actor
from callcenter.bus import LocalBus
from callcenter.bus import Message as BusMessage
from callcenter.conversations import outbox
from callcenter.conversations.attachments import TOO_LARGE, AttachmentRefused, AttachmentStore, IncomingFile
from callcenter.conversations.notifier import ConversationNotifier
from callcenter.conversations.service import ConversationError, Conversations
from callcenter.db import transaction
from callcenter.events import Event, MessageQueued, MessageReceived
from callcenter.governance.erasure import erase_customer
from callcenter.models import (
    Attachment,
    AuditLog,
    Call,
    Channel,
    DeliveryState,
    Message,
    MessageDirection,
    Ticket,
    TicketNote,
    User,
    Visibility,
)
from tests import qadata
from tests.deskdata import T0
from tests.support import services


class Sent(LocalBus):
    """A bus that keeps what its publishers' transactions sent, instead of delivering it."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []

    def _send(self, message: BusMessage[Event]) -> None:
        self.events.append(message.event)


def _ticket(s: Session, number: str) -> Ticket:
    return s.scalars(select(Ticket).where(Ticket.number == number)).one()


def _user(s: Session, name: str) -> User:
    return s.scalars(select(User).where(User.username == name)).one()


def _service(container, bus: Sent | None = None, max_bytes: int = 1000) -> Conversations:
    store = AttachmentStore(container.settings.attachments_dir(), max_bytes)
    return Conversations(ConversationNotifier(bus), services.tickets(), store)


def _count(s: Session, *where) -> int:
    return s.scalar(select(func.count()).select_from(Message).where(*where)) or 0


def _email(conv: Conversations, s: Session, ticket: Ticket, key: str, **kw):
    return conv.record_inbound(s, ticket, channel=Channel.EMAIL, channel_key=key, sender="wang@example.com",
                               subject="Router", body="Still down.", **kw)


def test_a_redelivered_message_is_stored_once(container, shop) -> None:
    bus = Sent()
    conv = _service(container, bus)
    with transaction(container.session_factory) as s:
        first = _email(conv, s, _ticket(s, shop.ticket_number), "<a1@example.com>")
    with transaction(container.session_factory) as s:
        again = _email(conv, s, _ticket(s, shop.ticket_number), " <a1@example.com> ")  # the same id, re-sent
    assert first.new and not again.new and again.message.id == first.message.id
    with container.session_factory() as s:
        assert _count(s, Message.channel_key == "<a1@example.com>") == 1
        audits = s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "message_received"))
        assert audits == 1
    assert [type(e) for e in bus.events] == [MessageReceived]
    received = bus.events[0]
    assert isinstance(received, MessageReceived) and received.message_id == first.message.id
    assert received.channel == "email" and received.direction == "inbound"


def test_the_same_id_on_another_channel_is_another_message(container, shop) -> None:
    conv = _service(container)
    with transaction(container.session_factory) as s:
        ticket = _ticket(s, shop.ticket_number)
        mail = _email(conv, s, ticket, "42")
        sms = conv.record_inbound(s, ticket, channel=Channel.SMS, channel_key="42", body="hi")
    assert mail.new and sms.new and mail.message.id != sms.message.id


def test_two_deliveries_at_once_store_one_message(container, shop) -> None:
    """One delivery holds its transaction open after the insert while the other inserts too: on
    PostgreSQL the second waits on the unique key, on SQLite on the write lock; either way one row,
    and both callers are given it."""
    conv = _service(container)
    inserted, release = threading.Event(), threading.Event()
    results: dict[str, tuple[bool, int]] = {}
    errors: list[BaseException] = []

    def deliver(name: str, hold: bool) -> None:
        try:
            with transaction(container.session_factory) as s:
                got = _email(conv, s, _ticket(s, shop.ticket_number), "<race@example.com>")
                results[name] = (got.new, got.message.id)
                if hold:
                    inserted.set()
                    assert release.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported below, on the test's thread
            errors.append(exc)
            inserted.set()

    first = threading.Thread(target=deliver, args=("first", True))
    first.start()
    assert inserted.wait(30)
    second = threading.Thread(target=deliver, args=("second", False))
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert errors == []
    assert sorted(new for new, _ in results.values()) == [False, True]
    assert results["first"][1] == results["second"][1]
    with container.session_factory() as s:
        assert _count(s, Message.channel_key == "<race@example.com>") == 1


def test_many_deliveries_of_the_same_message_at_once(container, shop) -> None:
    conv = _service(container)
    start = threading.Barrier(4)
    news: list[bool] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait(30)
            with transaction(container.session_factory) as s:
                news.append(_email(conv, s, _ticket(s, shop.ticket_number), "<burst@example.com>").new)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and sorted(news) == [False, False, False, True]
    with container.session_factory() as s:
        assert _count(s, Message.channel_key == "<burst@example.com>") == 1


def test_the_timeline_mixes_calls_notes_and_messages_in_time_order(container, shop) -> None:
    qadata.add_transcript(container, shop.call_id, audio_seconds=None)
    conv = _service(container)
    with transaction(container.session_factory) as s:
        ticket, ann = _ticket(s, shop.ticket_number), _user(s, "ann")
        call = s.get(Call, shop.call_id)
        assert call is not None
        call.ticket_id = ticket.id  # the call at T0
        _email(conv, s, ticket, "<t1@example.com>", received_at=T0 + dt.timedelta(hours=1))
        note = conv.add_internal_note(s, ticket, "Engineer booked.", Actor.of(ann))
        note.created_at = T0 + dt.timedelta(hours=2)
        reply = conv.queue_outbound(s, ticket, Actor.of(ann), channel=Channel.EMAIL, body="We come at 14:00.",
                                    recipient="wang@example.com")
        reply.created_at = T0 + dt.timedelta(hours=3)
    with container.session_factory() as s:
        entries = conv.timeline(s, _ticket(s, shop.ticket_number), _user(s, "ann"))
    shown = [(e.kind, getattr(e.item, "direction", None)) for e in entries if e.kind != "change"]
    assert [kind for kind, _ in shown] == ["call", "message", "note", "message"]
    assert shown[1][1] is MessageDirection.INBOUND and shown[3][1] is MessageDirection.OUTBOUND
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    call_entry = entries[0]
    assert call_entry.kind == "call" and [r.id for r in call_entry.recordings] == [shop.recording_id]
    assert call_entry.transcript and "refund" in call_entry.transcript.lower()
    assert entries[2].internal and not entries[1].internal and not entries[3].internal
    assert all(e.internal for e in entries if e.kind == "change")


def test_an_agent_hears_only_calls_they_answered_in_the_timeline(container, shop) -> None:
    """Sue (ann's supervisor) opens the call; an agent of the queue who did not answer sees it, unheard."""
    conv = _service(container)
    with transaction(container.session_factory) as s:
        ticket = _ticket(s, shop.ticket_number)
        call = s.get(Call, shop.call_id)
        assert call is not None
        call.ticket_id, call.agent_id = ticket.id, _user(s, "sue").id
    with container.session_factory() as s:
        ticket = _ticket(s, shop.ticket_number)
        ann_view = conv.timeline(s, ticket, _user(s, "ann"))
        sue_view = conv.timeline(s, ticket, _user(s, "sue"))
    assert [e.recordings for e in ann_view if e.kind == "call"] == [()]
    assert [len(e.recordings) for e in sue_view if e.kind == "call"] == [1]


def test_whoever_cannot_see_the_ticket_cannot_see_its_timeline(container, shop) -> None:
    conv = _service(container)
    with container.session_factory() as s, pytest.raises(ConversationError) as refused:
        conv.timeline(s, _ticket(s, shop.ticket_number), _user(s, "bob"))
    assert refused.value.code == "not_found"


def test_internal_notes_never_reach_an_outbound_path(container, shop) -> None:
    bus = Sent()
    conv = _service(container, bus)
    with transaction(container.session_factory) as s:
        ticket, ann = _ticket(s, shop.ticket_number), Actor.of(_user(s, "ann"))
        conv.add_internal_note(s, ticket, "Customer was rude; keep it short.", ann)
        conv.record_inbound(s, ticket, channel=Channel.EMAIL, channel_key="<cc-colleague@example.com>",
                            body="Forwarded among us.", visibility=Visibility.INTERNAL)
        reply = conv.queue_outbound(s, ticket, ann, channel=Channel.SMS, body="Fixed now.", recipient="+8613800138000")
        assert ticket.first_responded_at is not None  # a reply to the customer is a response
    with container.session_factory() as s:
        pending = outbox.outbound_pending(s)
        assert [m.id for m in pending] == [reply.id]
        assert all(m.visibility is Visibility.PUBLIC and m.direction is MessageDirection.OUTBOUND for m in pending)
        assert outbox.outbound_pending(s, Channel.EMAIL) == []
        note = s.scalars(select(TicketNote).where(TicketNote.body.startswith("Customer was rude"))).one()
        assert note.internal
        entries = conv.timeline(s, _ticket(s, shop.ticket_number), _user(s, "ann"))
        assert all(e.internal for e in entries if e.kind == "note")
    assert {type(e) for e in bus.events} >= {MessageQueued}
    assert [e.visibility for e in bus.events if isinstance(e, MessageQueued)] == ["public"]
    with transaction(container.session_factory) as s:
        message = s.get(Message, reply.id)
        assert message is not None
        outbox.attempt_failed(message, "gateway timeout", give_up=False)
        assert outbox.outbound_pending(s) == [message] and message.attempts == 1
        outbox.sent(message, channel_key="sms-778")
    with container.session_factory() as s:
        message = s.get(Message, reply.id)
        assert message is not None and outbox.outbound_pending(s) == []
        assert message.delivery_state is DeliveryState.SENT and message.attempts == 2 and message.error is None


def test_replies_queued_together_are_each_stored_audited_and_announced_once(container, shop) -> None:
    """A bulk reply's batch inserts its replies together; each is still one message with its audit row and
    event, carrying its own id.  A reply with a channel id still goes alone (it may collide)."""
    bus = Sent()
    conv = _service(container, bus)
    with transaction(container.session_factory) as s:
        ticket, ann = _ticket(s, shop.ticket_number), Actor.of(_user(s, "ann"))
        with conv.queued_together(s):
            replies = [conv.queue_outbound(s, ticket, ann, channel=Channel.SMS, body=f"Update {i}",
                                           recipient="+8613800138000") for i in range(3)]
            keyed = conv.queue_outbound(s, ticket, ann, channel=Channel.EMAIL, body="Keyed", channel_key="<k1@x>")
            assert keyed.id is not None
        ids = [r.id for r in replies]
        assert all(ids) and ticket.first_responded_at is not None
    with container.session_factory() as s:
        assert sorted(s.scalars(select(Message.body).where(Message.id.in_(ids)))) == ["Update 0", "Update 1",
                                                                                       "Update 2"]
        audited = s.scalars(select(AuditLog.detail).where(AuditLog.action == "message_queued")).all()
        assert sorted(d["message_id"] for d in audited) == sorted([*ids, keyed.id])
    assert sorted(e.message_id for e in bus.events if isinstance(e, MessageQueued)) == sorted([*ids, keyed.id])


def test_replies_queued_together_leave_nothing_when_the_block_fails(container, shop) -> None:
    bus = Sent()
    conv = _service(container, bus)
    with container.session_factory() as s:
        ticket, ann = _ticket(s, shop.ticket_number), Actor.of(_user(s, "ann"))
        with pytest.raises(ConversationError), conv.queued_together(s):
            conv.queue_outbound(s, ticket, ann, channel=Channel.SMS, body="First", recipient="+8613800138000")
            conv.queue_outbound(s, ticket, ann, channel=Channel.SMS, body="  ")  # refused: no text
        s.rollback()
        assert _count(s) == 0
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "message_queued")) == 0
    assert bus.events == []


@pytest.mark.parametrize("body, channel, code", [("  ", Channel.EMAIL, "required"),
                                                 ("Hello", Channel.PHONE, "not_a_reply_channel")])
def test_a_reply_that_cannot_go_writes_nothing(container, shop, body: str, channel: Channel, code: str) -> None:
    conv = _service(container)
    with container.session_factory() as s:
        with pytest.raises(ConversationError) as refused:
            conv.queue_outbound(s, _ticket(s, shop.ticket_number), Actor.of(_user(s, "ann")), channel=channel,
                                body=body)
        assert refused.value.code == code and _count(s) == 0


def test_a_file_over_the_limit_is_refused_and_nothing_else_is_lost(container, shop) -> None:
    conv = _service(container, max_bytes=1000)
    small, big = b"%PDF small invoice", b"x" * 1001
    with transaction(container.session_factory) as s:
        got = _email(conv, s, _ticket(s, shop.ticket_number), "<files@example.com>",
                     attachments=[IncomingFile("../../invoice.pdf", "application/pdf; name=x", small),
                                  IncomingFile("film.mp4", "video/mp4", big)])
    assert got.new and [a.filename for a in got.refused] == ["film.mp4"]
    root = container.settings.attachments_dir()
    with container.session_factory() as s:
        kept, refused = s.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert kept.filename == "invoice.pdf" and kept.content_type == "application/pdf"
        assert kept.refused is None and kept.sha256 == hashlib.sha256(small).hexdigest()
        assert (root / str(kept.id)).read_bytes() == small
        assert refused.refused == TOO_LARGE and refused.size_bytes == 1001 and not (root / str(refused.id)).exists()
        assert s.get(Message, got.message.id) is not None
        stored_before = _count(s)
    with transaction(container.session_factory) as s:
        ann = Actor.of(_user(s, "ann"))
        with pytest.raises(AttachmentRefused) as caught:
            conv.queue_outbound(s, _ticket(s, shop.ticket_number), ann, channel=Channel.EMAIL, body="See attached.",
                                attachments=[IncomingFile("ok.txt", "text/plain", b"ok"),
                                             IncomingFile("huge.zip", "application/zip", big)])
    assert caught.value.code == TOO_LARGE and "huge.zip" in str(caught.value) and "1,000" in str(caught.value)
    with container.session_factory() as s:
        assert _count(s) == stored_before and s.scalar(select(func.count()).select_from(Attachment)) == 2
    assert sorted(p.name for p in Path(root).iterdir()) == [str(kept.id)]


def test_erasing_the_customer_erases_their_messages_and_files(container, shop) -> None:
    conv = _service(container)
    with transaction(container.session_factory) as s:
        got = _email(conv, s, _ticket(s, shop.ticket_number), "<erase@example.com>",
                     attachments=[IncomingFile("id-card.jpg", "image/jpeg", b"\xff\xd8 face")])
        path = container.settings.attachments_dir() / str(got.message.attachments[0].id)
    assert path.exists()
    with transaction(container.session_factory) as s:
        erase_customer(s, shop.customer_id, container.settings, Actor.system("test"), reason="asked")
    with container.session_factory() as s:
        message = s.get(Message, got.message.id)
        assert message is not None and message.body == "[erased]" and message.sender is None
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0
    assert not path.exists()
