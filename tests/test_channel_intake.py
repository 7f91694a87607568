"""Every channel's one way in, on SQLite and PostgreSQL: the customer found or made once, the
threading rules (answers, quoted numbers, chats, reopening), each message stored once even under
a race; and the reply sender's retries, its give-up and that it only ever sends public replies."""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.channels.base import DeliveryError, Inbound, Outgoing, Sender
from callcenter.channels.delivery import Delivery
from callcenter.channels.intake import UNVERIFIED_SENDER
from callcenter.conversations.notifier import ConversationNotifier
from callcenter.db import transaction
from callcenter.models import (
    AuditLog,
    Channel,
    Customer,
    CustomerIdentity,
    DeliveryState,
    Message,
    Ticket,
    TicketStatus,
    utcnow,
)


def _mail(key: str, sender: str = "Wang@Example.com", subject: str = "Router down", body: str = "It blinks red.",
          **kw) -> Inbound:
    return Inbound(channel=Channel.EMAIL, channel_key=key, sender=Sender("email", sender, "Wang Fang"),
                   subject=subject, body=body, **kw)


def _receive(container, inbound: Inbound) -> tuple[str, int, bool, bool, bool]:
    with transaction(container.session_factory) as s:
        got = container.channel_intake.receive(s, inbound)
        return str(got.ticket.number), got.message.id, got.new, got.ticket_created, got.customer_created


def _ticket(container, number: str) -> Ticket:
    with container.session_factory() as s:
        ticket: Ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        s.expunge(ticket)
        return ticket


def test_a_new_sender_gets_a_customer_and_a_ticket_and_an_answer_joins_it(container) -> None:
    number, first_id, new, ticket_created, customer_created = _receive(container, _mail("<m1@example.com>"))
    assert new and ticket_created and customer_created
    ticket = _ticket(container, number)
    assert ticket.source == "email" and ticket.subject == "Router down" and ticket.flagged is None
    reply = _mail("<m2@example.com>", subject="Re: Router down", body="Still red.",
                  thread_keys=["<m1@example.com>"])
    number2, second_id, new2, created2, customer2 = _receive(container, reply)
    assert (number2, new2, created2, customer2) == (number, True, False, False) and second_id != first_id
    with container.session_factory() as s:
        customer = s.get(Customer, ticket.customer_id)
        assert customer is not None and customer.name == "Wang Fang"
        assert [(i.kind.value, i.value) for i in customer.identities] == [("email", "wang@example.com")]
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


def test_a_redelivered_message_is_one_message_and_makes_nothing_new(container) -> None:
    first = _receive(container, _mail("<dup@example.com>"))
    again = _receive(container, _mail("<dup@example.com>"))
    assert again[:2] == first[:2] and not again[2] and not again[3]
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1
        assert s.scalar(select(func.count()).select_from(Message)) == 1


def test_a_quoted_number_joins_only_for_the_tickets_own_customer(container) -> None:
    number = _receive(container, _mail("<q1@example.com>"))[0]
    own = _receive(container, _mail("<q2@example.com>", subject=f"About [{number}]", ticket_number=number))
    assert own[0] == number and not own[3]
    stranger = _receive(container, _mail("<q3@example.com>", sender="mallory@evil.example",
                                         subject=f"About [{number}]", ticket_number=number))
    assert stranger[0] != number and stranger[3]
    assert _ticket(container, stranger[0]).flagged == UNVERIFIED_SENDER


def test_a_chat_continues_the_customers_open_ticket_on_that_channel(container) -> None:
    def wechat(key: str, text: str) -> Inbound:
        return Inbound(channel=Channel.WECHAT, channel_key=key, body=text,
                       sender=Sender("wechat", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", verified=True))

    first = _receive(container, wechat("100001", "你好，我的快递没到"))
    second = _receive(container, wechat("100002", "单号是 SF123"))
    assert second[0] == first[0] and not second[3]
    with container.session_factory() as s:
        identity = s.scalars(select(CustomerIdentity)).one()
        assert identity.verified and identity.kind.value == "wechat"


def test_an_answer_reopens_a_recent_ticket_and_starts_a_new_one_after_the_window(container) -> None:
    number = _receive(container, _mail("<r1@example.com>"))[0]
    actor = Actor.system("test")
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        container.tickets.change(s, ticket, actor, status=TicketStatus.RESOLVED)
    again = _receive(container, _mail("<r2@example.com>", thread_keys=["<r1@example.com>"]))
    assert again[0] == number and _ticket(container, number).status == TicketStatus.OPEN
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        container.tickets.change(s, ticket, actor, status=TicketStatus.CLOSED)
        ticket.closed_at = utcnow() - dt.timedelta(days=30)
    late = _receive(container, _mail("<r3@example.com>", thread_keys=["<r1@example.com>"]))
    assert late[0] != number and late[3]


def test_two_intakes_of_one_new_message_at_once_make_one_ticket_and_one_customer(container) -> None:
    barrier = threading.Barrier(2)
    results: list[tuple[str, int, bool, bool, bool]] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            barrier.wait(10)
            results.append(_receive(container, _mail("<race@example.com>", sender="race@example.com")))
        except BaseException as exc:  # noqa: BLE001 - reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len({r[1] for r in results}) == 1 and sorted(r[2] for r in results) == [False, True]
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


class Recorder:
    """An adapter that keeps what it was given, failing the first ``fail`` sends."""

    def __init__(self, channel: Channel, fail: int = 0, permanent: bool = False) -> None:
        self.channel, self.fail, self.permanent = channel, fail, permanent
        self.sent: list[Outgoing] = []

    def send(self, outgoing: Outgoing) -> str | None:
        if self.fail:
            self.fail -= 1
            raise DeliveryError("gateway said 503", permanent=self.permanent)
        self.sent.append(outgoing)
        return f"out-{outgoing.message.id}"


def _reply(container, number: str, body: str, channel: Channel = Channel.EMAIL) -> int:
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        message = container.conversations.queue_outbound(s, ticket, Actor.system("test"), channel=channel,
                                                         body=body, recipient="wang@example.com")
        container.conversations.add_internal_note(s, ticket, "INTERNAL: do not send", Actor.system("test"))
        return int(message.id)


def _delivery(container, adapter: Recorder, delays=(0, 0)) -> Delivery:
    return Delivery(container.session_factory, {adapter.channel: adapter}, ConversationNotifier(None),
                    retry_delays=list(delays))


def test_the_sender_sends_public_replies_once_with_the_thread(container) -> None:
    number = _receive(container, _mail("<t1@example.com>"))[0]
    message_id = _reply(container, number, "We are on it.")
    adapter = Recorder(Channel.EMAIL)
    delivery = _delivery(container, adapter)
    assert delivery.run_once() == 1 and delivery.run_once() == 0
    assert [o.message.id for o in adapter.sent] == [message_id]
    assert adapter.sent[0].thread == ["<t1@example.com>"] and adapter.sent[0].to == "wang@example.com"
    assert all("INTERNAL" not in o.message.body for o in adapter.sent)
    with container.session_factory() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.delivery_state == DeliveryState.SENT
        assert message.channel_key == f"out-{message_id}" and message.attempts == 1


def test_a_failed_send_is_tried_again_then_given_up_for_a_person(container) -> None:
    number = _receive(container, _mail("<f1@example.com>"))[0]
    message_id = _reply(container, number, "Try me.")
    adapter = Recorder(Channel.EMAIL, fail=5)
    delivery = _delivery(container, adapter, delays=(0, 0))
    for _ in range(5):
        delivery.run_once()
    with container.session_factory() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.delivery_state == DeliveryState.FAILED
        assert message.attempts == 3 and "503" in (message.error or "")
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "message_failed")) == 1
    assert adapter.sent == []


def test_a_permanent_failure_is_not_tried_again(container) -> None:
    number = _receive(container, _mail("<p1@example.com>"))[0]
    message_id = _reply(container, number, "Nope.")
    delivery = _delivery(container, Recorder(Channel.EMAIL, fail=1, permanent=True), delays=(0, 0, 0))
    delivery.run_once()
    with container.session_factory() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.delivery_state == DeliveryState.FAILED and message.attempts == 1


def test_an_address_typed_on_the_desk_finds_the_caller_when_they_write(container) -> None:
    with transaction(container.session_factory) as s:
        caller = container.customers.create(s, Actor.system("test"), name="Li Lei", numbers=["+8613800138000"],
                                            email=" Li.Lei@Example.com ")
        caller_id = caller.id
    number = _receive(container, _mail("<li1@example.com>", sender="li.lei@example.com"))[0]
    assert _ticket(container, number).customer_id == caller_id
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1
        identity = s.scalars(select(CustomerIdentity)).one()
        assert identity.verified and identity.value == "li.lei@example.com"


def test_an_automatic_answer_never_reopens_and_a_bounce_makes_no_customer(container) -> None:
    number = _receive(container, _mail("<a1@example.com>"))[0]
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        container.tickets.change(s, ticket, Actor.system("test"), status=TicketStatus.RESOLVED)
    vacation = _receive(container, _mail("<a2@example.com>", subject="Out of office", no_reply="auto_reply",
                                         thread_keys=["<a1@example.com>"]))
    assert vacation[0] == number and _ticket(container, number).status == TicketStatus.RESOLVED
    bounce = _receive(container, _mail("<a3@example.com>", sender="mailer-daemon@mx.example.net",
                                       subject="Undelivered Mail Returned to Sender", no_reply="bounce"))
    assert bounce[3] and not bounce[4]  # a new ticket, no customer made for the mail system
    flagged = _ticket(container, bounce[0])
    assert flagged.flagged == "bounce" and flagged.customer_id is None


def test_an_emailed_answer_to_a_web_form_reply_joins_the_web_ticket(container) -> None:
    web = Inbound(channel=Channel.WEB, channel_key="nonce-1", sender=Sender("email", "zhang@example.com", "Zhang"),
                  subject="Refund", body="Please refund order 42.")
    number = _receive(container, web)[0]
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        reply = container.conversations.queue_outbound(s, ticket, Actor.system("test"), channel=Channel.WEB,
                                                       body="Refund on its way.", recipient="zhang@example.com")
        reply.channel_key = "<m9.web@callcenter.localhost>"  # what the e-mail sender gave it
    answer = _receive(container, _mail("<z2@example.com>", sender="zhang@example.com", subject="Re: Refund",
                                       thread_keys=["<m9.web@callcenter.localhost>"]))
    assert answer[0] == number and not answer[3]
