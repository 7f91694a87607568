"""Parsed mail through the real intake on SQLite and PostgreSQL: a Chinese mail becomes a ticket with
its decoded, stripped text; a reply (by its References or a quoted ticket number) joins its ticket; a
re-fetched mail is one message; a permanent bounce marks the customer's address, a delay does not."""
from __future__ import annotations

import base64
from pathlib import Path

from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.channels.email.bounces import bounces, mark_bounced
from callcenter.channels.email.inbound import to_inbound
from callcenter.channels.email.parse import parse
from callcenter.db import transaction
from callcenter.models import Attachment, AuditLog, Customer, CustomerIdentity, Message, Ticket

MAIL = Path(__file__).parent / "data" / "mail"
DOMAIN = "callcenter.example"
OWN = {"own_address": "support@example.com", "own_domain": DOMAIN}
ACTOR = Actor.system("channel:email")


def raw(name: str) -> bytes:
    return (MAIL / f"{name}.eml").read_bytes()


def take(container, data: bytes) -> tuple[str, int, bool]:
    """``data`` as the e-mail channel hands it in: the ticket's number, the message's id, whether it is new."""
    with transaction(container.session_factory) as s:
        got = container.channel_intake.receive(s, to_inbound(parse(data), **OWN))
        return str(got.ticket.number), int(got.message.id), got.new


def first_mail(sender: str, message_id: str, subject: str) -> bytes:
    return (f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            "Date: Mon, 1 Dec 2026 09:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "It does not work.\r\n").encode()


def test_a_chinese_mail_becomes_a_ticket_with_its_decoded_text_once(container) -> None:
    number, message_id, new = take(container, raw("qqmail_gb18030"))
    assert new
    again = take(container, raw("qqmail_gb18030"))  # fetched again (a crash before the IMAP flag was set)
    assert again == (number, message_id, False)
    with container.session_factory() as s:
        message = s.get(Message, message_id)
        assert message is not None
        assert message.body == "你好，我在𠮷野家门店买的会员卡无法使用，卡号 8800123。\n麻烦尽快处理，谢谢！"
        assert message.subject == "会员卡无法使用𠮷" and message.sender == "10001@qq.com"
        assert message.meta["date"] == "2026-12-03T12:01:05+00:00" and "no_reply" not in message.meta
        ticket = s.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.subject == "会员卡无法使用𠮷" and ticket.source == "email"
        customer = s.get(Customer, ticket.customer_id)
        assert customer is not None and customer.name == "吉田" and customer.email == "10001@qq.com"
        assert s.scalar(select(func.count()).select_from(Message)) == 1


def test_a_reply_by_references_joins_and_keeps_only_the_new_words(container) -> None:
    number = take(container, first_mail("chen.jing@gmail.com", "<first-42@gmail.com>", "Parcel"))[0]
    joined, message_id, new = take(container, raw("gmail_zh_reply"))
    assert (joined, new) == (number, True)
    with container.session_factory() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.body == "谢谢，快递单号是 SF1234567890，麻烦帮我查一下。"


def test_foxmail_reply_is_stored_without_its_history(container) -> None:
    _, message_id, _ = take(container, raw("foxmail_gbk"))
    with container.session_factory() as s:
        message = s.get(Message, message_id)
        assert message is not None
        assert message.body == "您好，路由器还是一直闪红灯，我是王喆，朱镕基路的那家店。\n请尽快派人来看看。"


def _subject_with(data: bytes, number: str) -> bytes:
    """The Outlook sample answering ticket ``number`` (its subject is GBK in base64, as Outlook writes it)."""
    def word(text: str) -> bytes:
        return b"=?gb2312?B?" + base64.b64encode(text.encode("gbk")) + b"?="

    old, new = word("答复: [#1000017] 打印机故障"), word(f"答复: [#{number}] 打印机故障")
    assert old in data
    return data.replace(old, new)


def test_a_reply_quoting_the_ticket_number_joins_the_customers_ticket(container) -> None:
    number = take(container, first_mail("LiNa@contoso.com.cn", "<first-lina@contoso.com.cn>", "Printer"))[0]
    joined, message_id, new = take(container, _subject_with(raw("outlook_zh_reply"), number))
    assert (joined, new) == (number, True)
    with container.session_factory() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.body == "好的，我已经按照你们说的重启了，还是不行。附件是现场照片。"
        assert message.meta["cc"] == ["wei.zhou@contoso.com.cn"]
        photo = s.scalars(select(Attachment).where(Attachment.message_id == message_id)).one()
        assert (photo.filename, photo.content_type, photo.refused) == ("现场照片.jpg", "image/jpeg", None)
        stored = container.conversations.store.file_for(photo)
        assert stored is not None and stored.read_bytes() == bytes.fromhex(
            "ffd8ffe000104a46494600010100000100010000ffd9")
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1


def test_a_permanent_bounce_of_our_reply_marks_the_address_a_delay_or_forgery_does_not(container) -> None:
    take(container, raw("foxmail_gbk"))
    take(container, first_mail("chen.jing@slow.example.cn", "<first-25@slow.example.cn>", "Parcel"))
    _, report_id, _ = take(container, raw("postfix_dsn"))  # the report itself is kept too
    with transaction(container.session_factory) as s:
        forged = mark_bounced(s, container.customers, bounces(raw("postfix_dsn").replace(
            b"<reply-17-2@callcenter.example>", b"<anything@attacker.example>")), ACTOR, own_domain=DOMAIN)
        marked = mark_bounced(s, container.customers, bounces(raw("postfix_dsn")), ACTOR, own_domain=DOMAIN)
        delayed = mark_bounced(s, container.customers, bounces(raw("postfix_delayed")), ACTOR, own_domain=DOMAIN)
        stranger = container.customers.address_bounced(s, "nobody@example.org", "5.1.1 unknown", ACTOR)
    assert (forged, marked, delayed, stranger) == ([], ["wangzhe@foxmail.com"], [], False)
    with container.session_factory() as s:
        rows = {i.value: i for i in s.scalars(select(CustomerIdentity))}
        bounced = rows["wangzhe@foxmail.com"]
        assert bounced.bounced_at is not None and bounced.bounce_reason == "5.1.1 550 5.1.1 Mailbox not found."
        assert rows["chen.jing@slow.example.cn"].bounced_at is None
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "email_bounced")).one()
        assert audit.object_id == str(bounced.customer_id) and audit.detail["identity_id"] == bounced.id
        report = s.get(Message, report_id)
        assert report is not None and report.meta["no_reply"] == "bounce"


def test_an_auto_reply_is_stored_but_marked_never_to_answer(container) -> None:
    _, message_id, new = take(container, raw("vacation_autoreply"))
    with container.session_factory() as s:
        message = s.get(Message, message_id)
        assert new and message is not None and message.body == "我正在休假，12月15日回来。紧急事务请联系周伟。"
        assert message.meta["no_reply"] == "auto_reply"
        assert message.meta["no_reply_evidence"] == "auto-submitted: auto-replied (vacation)"


def test_garbage_and_a_mail_without_message_id_are_each_stored_once(container) -> None:
    for name in ("garbage", "no_message_id"):
        number, message_id, new = take(container, raw(name))
        assert new and take(container, raw(name)) == (number, message_id, False)
    with container.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 2
        bodies = set(s.scalars(select(Message.body)))
        assert "3号机组温度过高。" in bodies and all("\x00" not in b for b in bodies)
