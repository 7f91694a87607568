"""The public contact form's service on SQLite and PostgreSQL: one ticket per form, the acknowledgement
queued in the visitor's language, the honeypot, the hourly rate limit shared by every process, and
every bad field refused with nothing written."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.channels.webform import RateLimited, Submission, WebFormError, mint_nonce
from callcenter.conversations.attachments import IncomingFile
from callcenter.db import transaction
from callcenter.models import (
    Attachment,
    AuditLog,
    Channel,
    ChannelAttempt,
    Customer,
    CustomerPhone,
    DeliveryState,
    Message,
    MessageDirection,
    Ticket,
    utcnow,
)
from callcenter.wiring import Container

TEXT = "My invoice for November was charged twice."


def _form(**kw: Any) -> Submission:
    values: dict[str, Any] = {"nonce": mint_nonce(), "category": "billing", "name": "Li Na",
                              "email": "Li.Na@Example.com", "phone": "", "description": TEXT,
                              "address": "203.0.113.7", "language": "en"}
    values.update(kw)
    return Submission(**values)


def _submit(container: Container, form: Submission) -> tuple[str | None, bool]:
    with transaction(container.session_factory) as s:
        got = container.webform.submit(s, form)
        return got.ticket_number, got.new


def _count(container: Container, model: Any) -> int:
    with container.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _refused(container: Container, form: Submission) -> dict[str, str]:
    with pytest.raises(WebFormError) as caught, transaction(container.session_factory) as s:
        container.webform.submit(s, form)
    return {name: why.code for name, why in caught.value.refusals.items()}


def test_a_submission_is_one_web_ticket_with_its_customer_and_a_queued_acknowledgement(container) -> None:
    number, new = _submit(container, _form(phone="+86 138 0013 8000",
                                           files=[IncomingFile("bill.pdf", "application/pdf", b"%PDF-1.4 x")]))
    assert number and new
    with container.session_factory() as s:
        ticket = s.scalars(select(Ticket)).one()
        assert (ticket.number, ticket.source, ticket.category, ticket.language) == (number, "web", "billing", "en")
        customer = s.get(Customer, ticket.customer_id)
        assert customer is not None and customer.name == "Li Na" and customer.email == "li.na@example.com"
        assert [p.number for p in s.scalars(select(CustomerPhone))] == ["+8613800138000"]
        inbound, ack = s.scalars(select(Message).order_by(Message.id)).all()
        assert inbound.direction == MessageDirection.INBOUND and inbound.channel == Channel.WEB
        assert inbound.body == TEXT and inbound.sender == "li.na@example.com"
        assert [a.filename for a in inbound.attachments] == ["bill.pdf"]
        assert ack.direction == MessageDirection.OUTBOUND and ack.delivery_state == DeliveryState.QUEUED
        assert ack.channel == Channel.WEB and ack.recipient == "li.na@example.com"
        assert number in ack.subject and number in ack.body and "Li Na" in ack.body
        assert ack.meta == {"auto_submitted": "auto-replied"}
    # The same address writing again is the same customer, on a new ticket.
    second, _ = _submit(container, _form(email="li.na@example.com", description="A second question, please."))
    assert second != number
    assert _count(container, Customer) == 1 and _count(container, Ticket) == 2


def test_the_acknowledgement_is_in_the_visitors_language(container) -> None:
    number, _ = _submit(container, _form(language="zh", name="李娜", description="我的账单重复扣款了，请帮忙处理。"))
    with container.session_factory() as s:
        ack = s.scalars(select(Message).where(Message.direction == MessageDirection.OUTBOUND)).one()
        assert ack.subject == f"我们已收到您的留言 [{number}]"
        assert "李娜" in ack.body and "工单" in ack.body
        assert s.scalars(select(Ticket)).one().language == "zh"


def test_a_phone_only_visitor_gets_a_ticket_and_no_email(container) -> None:
    number, _ = _submit(container, _form(email="", phone="+12025550143"))
    with container.session_factory() as s:
        ticket = s.scalars(select(Ticket)).one()
        assert ticket.number == number and ticket.customer_id is not None
        assert s.scalar(select(func.count()).select_from(Message)) == 1  # no acknowledgement: no address


def test_the_same_nonce_twice_is_one_ticket_and_one_acknowledgement(container) -> None:
    form = _form()
    first = _submit(container, form)
    again = _submit(container, form)
    assert again == (first[0], False)
    assert _count(container, Ticket) == 1 and _count(container, Message) == 2
    # The re-post is not counted against the visitor's hourly limit either.
    assert _count(container, ChannelAttempt) == 2


def test_a_filled_honeypot_looks_accepted_but_stores_nothing_and_is_audited(container) -> None:
    number, new = _submit(container, _form(trap="http://spam.example"))
    assert (number, new) == (None, True)
    for model in (Ticket, Message, Customer):
        assert _count(container, model) == 0
    with container.session_factory() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "webform_trapped")).one()
        assert row.outcome == "refused"


def test_the_rate_limit_counts_per_ip_and_per_email_across_two_app_instances(container) -> None:
    container.settings.channels.webform.per_address_per_hour = 3
    other = Container(container.settings)  # a second web process on the same database
    try:
        instances = [container, other, container]
        for i, app in enumerate(instances):
            assert _submit(app, _form(email=f"visitor{i}@example.com"))[1]
        with pytest.raises(RateLimited), transaction(other.session_factory) as s:
            other.webform.submit(s, _form(email="visitor9@example.com"))
        # Per e-mail: the same address from three other IPs, then a fourth.
        for i, app in enumerate(instances):
            assert _submit(app, _form(address=f"198.51.100.{i}", email="same@example.com"))[1]
        with pytest.raises(RateLimited), transaction(container.session_factory) as s:
            container.webform.submit(s, _form(address="198.51.100.99", email="SAME@example.com"))
        assert _count(container, Ticket) == 6
    finally:
        other.close()


def test_attempts_older_than_the_hour_are_pruned_and_not_counted(container) -> None:
    container.settings.channels.webform.per_address_per_hour = 1
    with transaction(container.session_factory) as s:
        s.add(ChannelAttempt(channel=Channel.WEB, key="ip:203.0.113.7", at=utcnow() - dt.timedelta(hours=2)))
    assert _submit(container, _form())[1]
    with container.session_factory() as s:
        assert all(a.at > utcnow() - dt.timedelta(minutes=5) for a in s.scalars(select(ChannelAttempt)))
        assert s.scalar(select(func.count()).select_from(ChannelAttempt)) == 2  # this IP and this e-mail


@pytest.mark.parametrize(("fields", "errors"), [
    ({"category": "lottery"}, {"category": "bad_category"}),
    ({"name": "  "}, {"name": "bad_name"}),
    ({"name": "x" * 201}, {"name": "bad_name"}),
    ({"email": "not-an-address"}, {"email": "bad_email"}),
    ({"email": "", "phone": "12"}, {"phone": "bad_phone"}),
    ({"email": "", "phone": ""}, {"email": "no_contact"}),
    ({"description": "too short"}, {"description": "bad_length"}),
    ({"description": "x" * 5001}, {"description": "bad_length"}),
    ({"nonce": "../../etc"}, {"form": "bad_nonce"}),
    ({"files": [IncomingFile(f"{i}.txt", "text/plain", b"hi") for i in range(4)]}, {"attachments": "too_many"}),
    ({"name": "", "email": "bad", "description": ""}, {"name": "bad_name", "email": "bad_email",
                                                       "description": "bad_length"}),
])
def test_each_bad_field_gets_its_error_and_nothing_is_written(container, fields, errors) -> None:
    assert _refused(container, _form(**fields)) == errors
    for model in (Ticket, Message, Customer, ChannelAttempt):
        assert _count(container, model) == 0


def test_an_attachment_over_the_limit_is_refused_clearly_and_nothing_is_stored(container) -> None:
    container.settings.conversations.max_attachment_bytes = 1000
    files = [IncomingFile("ok.txt", "text/plain", b"fine"), IncomingFile("../scan.png", "image/png", b"x" * 1001)]
    with pytest.raises(WebFormError) as caught, transaction(container.session_factory) as s:
        container.webform.submit(s, _form(files=files))
    refusal = caught.value.refusals["attachments"]
    assert refusal.code == "too_large" and str(refusal) == "scan.png is larger than the limit of 1,000 bytes."
    for model in (Ticket, Message, Attachment, Customer, ChannelAttempt):
        assert _count(container, model) == 0
    assert not container.settings.attachments_dir().exists() or not any(container.settings.attachments_dir().iterdir())


def test_a_phone_that_is_someone_elses_is_not_linked_to_the_visitor(container) -> None:
    with transaction(container.session_factory) as s:
        owner = container.customers.create(s, Actor.system("test"), name="Zhao Lei", numbers=["+12025550143"])
        owner_id = owner.id
    number, _ = _submit(container, _form(phone="+1 202 555 0143"))
    with container.session_factory() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.customer_id != owner_id
        phones = s.scalars(select(CustomerPhone)).all()
        assert [(p.customer_id, p.number) for p in phones] == [(owner_id, "+12025550143")]
