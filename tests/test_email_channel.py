"""The e-mail channel against real servers: a private Dovecot (IMAP) and aiosmtpd (SMTP), on SQLite and
PostgreSQL.  Mail goes in by IMAP APPEND, exactly as a mail server delivers it; replies leave by SMTP."""
from __future__ import annotations

import threading
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.channels.email.imap import MailFetcher, close, connect
from callcenter.channels.settings import EmailSettings
from callcenter.cli import main
from callcenter.conversations.attachments import IncomingFile
from callcenter.db import transaction
from callcenter.models import (
    Channel,
    CustomerIdentity,
    DeliveryState,
    Message,
    MessageDirection,
    Ticket,
    utcnow,
)
from callcenter.retry import Backoff
from callcenter.wiring import Container
from tests.support.mailservers import Account, SMTPInbox
from tests.support.replies import delivery
from tests.support.waiting import wait_for

CUSTOMER = "wang@customer.example"


@pytest.fixture
def email(container: Container, account: Account, smtp: tuple[SMTPInbox, int]) -> EmailSettings:
    """The container's e-mail channel pointed at this test's mailbox and SMTP server."""
    cfg = account.settings(smtp_host="127.0.0.1", smtp_port=smtp[1])
    container.settings.channels.email = cfg
    container.settings.channels.delivery.poll_seconds = 0.2
    return cfg


def mail(message_id: str, subject: str, body: str, *, sender: str = f"Wang Fang <{CUSTOMER}>",
         to: str = "support@test.localhost", in_reply_to: str | None = None,
         headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"], msg["Date"] = message_id, format_datetime(utcnow())
    if in_reply_to:
        msg["In-Reply-To"] = msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes(policy=policy.SMTP)


def fetch_round(fetcher: MailFetcher) -> int:
    """One round on a connection of its own, as the service does between waits."""
    box = connect(fetcher.settings)
    try:
        return fetcher.fetch_round(box)
    finally:
        close(box)


def messages(container: Container) -> list[Message]:
    with container.session_factory() as s:
        return list(s.scalars(select(Message).order_by(Message.id)))


def tickets(container: Container) -> list[Ticket]:
    with container.session_factory() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def reply(container: Container, ticket_id: int, body: str, **meta: object) -> int:
    with transaction(container.session_factory) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        message = container.conversations.queue_outbound(s, ticket, Actor.system("agent"), channel=Channel.EMAIL,
                                                          body=body, recipient=CUSTOMER)
        if meta:
            message.meta = dict(meta)
        return message.id


def test_a_conversation_by_email_threads_through_the_running_service(container, email, account, smtp) -> None:
    inbox, _ = smtp
    account.append(mail("<c1@customer.example>", "Router down", "It blinks red."))
    service = container.channels()
    service.start()
    try:
        [ticket] = wait_for(lambda: tickets(container) or None, 30, "the customer's ticket")
        assert ticket.source == "email" and ticket.subject == "Router down" and ticket.flagged is None
        reply_id = reply(container, ticket.id, "We are sending an engineer.\n我们派工程师来。")
        [sent] = wait_for(lambda: inbox.to(CUSTOMER) or None, 30, "our reply over SMTP")
        our_id = f"<m{reply_id}.{ticket.number}@test.callcenter.localhost>"
        assert sent["Message-ID"] == our_id
        assert sent["In-Reply-To"] == "<c1@customer.example>" and sent["References"] == "<c1@customer.example>"
        assert sent["Subject"] == f"Re: Router down [#{ticket.number}]"
        assert sent["From"].addresses[0].addr_spec == account.user and sent["X-Loop"] == account.user
        assert "我们派工程师来。" in sent.get_body(preferencelist=("plain",)).get_content()
        stored = wait_for(lambda: [m for m in messages(container) if m.id == reply_id
                                   and m.delivery_state == DeliveryState.SENT] or None, 30, "the reply marked sent")
        assert stored[0].channel_key == our_id

        # The customer answers our reply (no tag in the subject: In-Reply-To alone threads it).
        account.append(mail("<c2@customer.example>", "Re: Router down", "Now it is green.", in_reply_to=our_id))
        wait_for(lambda: len(messages(container)) == 3 or None, 30, "the customer's answer")
        # A stranger quotes the ticket number: a new ticket, flagged for a person.
        account.append(mail("<s1@evil.example>", f"About [#{ticket.number}]", "Give me the engineer's phone.",
                            sender="mallory@evil.example"))
        wait_for(lambda: len(tickets(container)) == 2 or None, 30, "the stranger's ticket")
    finally:
        service.stop()
    inbound = [m for m in messages(container) if m.direction == MessageDirection.INBOUND]
    assert [(m.channel_key, m.ticket_id) for m in inbound[:2]] == [("<c1@customer.example>", ticket.id),
                                                                  ("<c2@customer.example>", ticket.id)]
    stranger = tickets(container)[1]
    assert inbound[2].ticket_id == stranger.id and stranger.flagged == "unverified_sender"
    assert all("\\Seen" in flags for flags in account.flags().values()) and len(account.flags()) == 3
    assert len(inbox.messages) == 1


def test_gbk_and_gb18030_mail_arrives_decoded(container, email, account) -> None:
    gbk = ("From: =?gbk?B?" + _b64("张伟".encode("gbk")) + "?= <zhang@customer.example>\r\n"
           "To: support@test.localhost\r\nSubject: =?gbk?B?" + _b64("路由器坏了".encode("gbk")) + "?=\r\n"
           "Message-ID: <gbk1@customer.example>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode("ascii") \
        + "我的路由器一直闪红灯，请帮忙。\r\n".encode("gbk")
    # 𠮷 exists in GB18030 only (four bytes): a GBK decoder would lose it.
    gb18030 = ("From: li@customer.example\r\nTo: support@test.localhost\r\n"
               "Subject: =?gb18030?B?" + _b64("发票𠮷问题".encode("gb18030")) + "?=\r\n"
               "Message-ID: <gb18030-1@customer.example>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=gb18030\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
               ).encode("ascii") + "发票抬头写错了：𠮷。\r\n".encode("gb18030")
    account.append(gbk, gb18030)
    assert fetch_round(container.mail_fetcher()) == 2
    by_key = {m.channel_key: m for m in messages(container)}
    assert by_key["<gbk1@customer.example>"].subject == "路由器坏了"
    assert "我的路由器一直闪红灯，请帮忙。" in by_key["<gbk1@customer.example>"].body
    assert by_key["<gb18030-1@customer.example>"].subject == "发票𠮷问题"
    assert "发票抬头写错了：𠮷。" in by_key["<gb18030-1@customer.example>"].body
    assert {t.subject for t in tickets(container)} == {"路由器坏了", "发票𠮷问题"}


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def _customer_ticket_with_reply(container: Container, account: Account) -> tuple[Ticket, str]:
    """A customer's mail, its ticket, and our reply sent over SMTP: (ticket, our Message-ID)."""
    account.append(mail("<c1@customer.example>", "Router down", "It blinks red."))
    assert fetch_round(container.mail_fetcher()) == 1
    [ticket] = tickets(container)
    reply_id = reply(container, ticket.id, "We are sending an engineer.")
    assert delivery(container).run_once() == 1
    return ticket, f"<m{reply_id}.{ticket.number}@test.callcenter.localhost>"


def test_an_out_of_office_answer_is_stored_flagged_and_never_answered(container, email, account, smtp) -> None:
    inbox, _ = smtp
    ticket, our_id = _customer_ticket_with_reply(container, account)
    account.append(mail("<ooo1@customer.example>", "Automatic reply: Re: Router down", "I am away until Monday.",
                        in_reply_to=our_id, headers={"Auto-Submitted": "auto-replied"}))
    assert fetch_round(container.mail_fetcher()) == 1
    auto = [m for m in messages(container) if m.channel_key == "<ooo1@customer.example>"]
    assert len(auto) == 1 and auto[0].ticket_id == ticket.id and auto[0].meta["no_reply"] == "auto_reply"
    assert delivery(container).run_once() == 0
    assert len(inbox.messages) == 1
    assert [m.direction for m in messages(container)].count(MessageDirection.OUTBOUND) == 1


def test_an_imap_restart_in_the_middle_of_a_batch_loses_nothing_and_doubles_nothing(
        container, email, account, mail_server, monkeypatch) -> None:
    account.append(*(mail(f"<r{i}@customer.example>", f"Question {i}", f"Body {i}",
                          sender=f"c{i}@customer.example") for i in range(25)))
    container.settings.channels.email = email.model_copy(update={"fetch_batch": 10, "idle": False,
                                                                 "poll_seconds": 0.2})
    fetcher = container.mail_fetcher()
    fetcher.backoff = Backoff(0.2, 0.5)
    inside, resume = threading.Event(), threading.Event()
    real_store = fetcher.intake.store

    def store(raw: bytes, *, too_large: int | None = None) -> Message:
        message: Message = real_store(raw, too_large=too_large)
        if b"<r14@customer.example>" in raw and not inside.is_set():
            inside.set()  # five of the second batch are stored, none of them marked yet
            resume.wait(60)
        return message

    monkeypatch.setattr(fetcher.intake, "store", store)
    fetcher.start()
    try:
        assert inside.wait(60)
        try:
            mail_server.stop()
            resume.set()
            # It notices, and at least one reconnect is refused while the server is down.
            wait_for(lambda: fetcher.lost >= 2, 60, "the fetcher to find the server gone")
        finally:
            mail_server.start()
        wait_for(lambda: account.unseen() == 0, 60, "every mail marked seen")
    finally:
        fetcher.stop()
    keys = [m.channel_key or "" for m in messages(container)]
    assert sorted(keys) == sorted(f"<r{i}@customer.example>" for i in range(25))
    assert len(tickets(container)) == 25 and fetcher.connections >= 2
    assert all("\\Seen" in flags for flags in account.flags().values())


def test_a_mail_is_marked_only_after_it_is_stored(container, email, account, monkeypatch) -> None:
    account.append(*(mail(f"<f{i}@customer.example>", f"Question {i}", f"Body {i}",
                          sender=f"c{i}@customer.example") for i in range(3)))
    fetcher = container.mail_fetcher()
    real_store, tries = fetcher.intake.store, []

    def store(raw: bytes, *, too_large: int | None = None) -> Message:
        if b"<f1@customer.example>" in raw:
            tries.append(1)
            if len(tries) == 1:
                raise RuntimeError("the database refused the write")
        message: Message = real_store(raw, too_large=too_large)
        return message

    monkeypatch.setattr(fetcher.intake, "store", store)
    box = connect(fetcher.settings)
    try:
        assert fetcher.fetch_round(box) == 3
        flags = account.flags()
        assert "\\Seen" not in flags["<f1@customer.example>"]
        assert all("\\Seen" in flags[f"<f{i}@customer.example>"] for i in (0, 2))
        assert sorted(m.channel_key or "" for m in messages(container)) == ["<f0@customer.example>",
                                                                              "<f2@customer.example>"]
        # On this connection it is not tried again at once: the mailbox goes on without it.
        assert fetcher.fetch_round(box) == 0 and len(tries) == 1
    finally:
        close(box)
    restarted = container.mail_fetcher()
    monkeypatch.setattr(restarted.intake, "store", store)
    assert fetch_round(restarted) == 1 and len(tries) == 2
    assert all("\\Seen" in flags for flags in account.flags().values())
    assert len(messages(container)) == 3


def _report(our_id: str, message_id: str, recipient: str = CUSTOMER, status: str = "5.1.1") -> bytes:
    text = f"""From: MAILER-DAEMON@mx.customer.example (Mail Delivery System)
To: support@test.localhost
Subject: Undelivered Mail Returned to Sender
Message-ID: {message_id}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="REPORT"

--REPORT
Content-Type: text/plain; charset=us-ascii

<{recipient}>: host mx.customer.example said: 550 {status} Mailbox not found

--REPORT
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; {recipient}
Action: failed
Status: {status}
Diagnostic-Code: smtp; 550 {status} Mailbox not found

--REPORT
Content-Type: message/rfc822

From: Support <support@test.localhost>
To: {recipient}
Subject: Re: Router down
Message-ID: {our_id}

We are sending an engineer.

--REPORT--
"""
    return text.replace("\n", "\r\n").encode("ascii")


def test_a_permanent_bounce_of_our_reply_marks_the_address_and_is_noted_on_its_ticket(
        container, email, account) -> None:
    ticket, our_id = _customer_ticket_with_reply(container, account)
    # A report about a message we never sent names no reply of ours: it marks nothing.
    account.append(_report("<forged@elsewhere.example>", "<dsn0@mx.customer.example>"))
    assert fetch_round(container.mail_fetcher()) == 1
    with container.session_factory() as s:
        identity = s.scalars(select(CustomerIdentity).where(CustomerIdentity.value == CUSTOMER)).one()
        assert identity.bounced_at is None
    account.append(_report(our_id, "<dsn1@mx.customer.example>"))
    assert fetch_round(container.mail_fetcher()) == 1
    with container.session_factory() as s:
        identity = s.scalars(select(CustomerIdentity).where(CustomerIdentity.value == CUSTOMER)).one()
        assert identity.bounced_at is not None and "5.1.1" in (identity.bounce_reason or "")
    [noted] = [m for m in messages(container) if m.channel_key == "<dsn1@mx.customer.example>"]
    assert noted.ticket_id == ticket.id and noted.meta["no_reply"] == "bounce"
    assert noted.meta["bounces"][0]["address"] == CUSTOMER and noted.meta["bounces"][0]["permanent"]
    assert delivery(container).run_once() == 0
    assert all("\\Seen" in flags for flags in account.flags().values())


def test_a_mail_over_the_size_limit_is_a_short_message_not_a_loss(container, email, account) -> None:
    container.settings.channels.email = email.model_copy(update={"max_message_bytes": 4096})
    account.append(mail("<big@customer.example>", "Photos of the router", "x" * 20_000))
    assert fetch_round(container.mail_fetcher()) == 1
    [message] = messages(container)
    assert message.subject == "Photos of the router" and message.sender == CUSTOMER
    size = message.meta["too_large"]
    assert size > 20_000 and f"{size:,}" in message.body and "4,096" in message.body
    assert "not downloaded" in message.body and "没有下载" in message.body and "x" * 100 not in message.body
    assert "\\Seen" in account.flags()["<big@customer.example>"]


def test_a_reply_carries_html_files_and_auto_submitted(container, email, account, smtp) -> None:
    inbox, _ = smtp
    account.append(mail("<c1@customer.example>", "Router down", "It blinks red."))
    assert fetch_round(container.mail_fetcher()) == 1
    [ticket] = tickets(container)
    with transaction(container.session_factory) as s:
        row = s.get(Ticket, ticket.id)
        assert row is not None
        queued = container.conversations.queue_outbound(
            s, row, Actor.system("agent"), channel=Channel.EMAIL, body="See the manual.",
            subject=f"Your router [#{ticket.number}]", recipient=CUSTOMER,
            attachments=[IncomingFile("手册.pdf", "application/pdf", b"%PDF-1.4 manual")])
        queued.meta = {"html": "<p>See the <b>manual</b>.</p>", "auto_submitted": True}
    assert delivery(container).run_once() == 1
    [sent] = inbox.to(CUSTOMER)
    assert sent["Subject"] == f"Your router [#{ticket.number}]" and sent["Auto-Submitted"] == "auto-replied"
    assert sent.get_body(preferencelist=("html",)).get_content().strip() == "<p>See the <b>manual</b>.</p>"
    [attached] = list(sent.iter_attachments())
    assert attached.get_filename() == "手册.pdf" and attached.get_content() == b"%PDF-1.4 manual"


def test_smtp_refusals_fail_for_good_or_wait_for_the_next_attempt(container, email, account, smtp) -> None:
    inbox, _ = smtp
    account.append(mail("<c1@customer.example>", "Router down", "It blinks red."))
    assert fetch_round(container.mail_fetcher()) == 1
    [ticket] = tickets(container)
    inbox.refuse[CUSTOMER] = "450 4.2.1 Mailbox busy, try later"
    later = reply(container, ticket.id, "First answer.")
    assert delivery(container).run_once() == 1
    [busy] = [m for m in messages(container) if m.id == later]
    assert busy.delivery_state == DeliveryState.QUEUED and busy.next_attempt_at is not None
    assert "450" in (busy.error or "")
    inbox.refuse[CUSTOMER] = "550 5.1.1 No such user"
    with transaction(container.session_factory) as s:
        # The message was just queued in this test: it is there.
        s.get(Message, later).next_attempt_at = None  # type: ignore[union-attr]
    assert delivery(container).run_once() == 1
    [gone] = [m for m in messages(container) if m.id == later]
    assert gone.delivery_state == DeliveryState.FAILED and "550 5.1.1" in (gone.error or "")
    assert inbox.messages == []


def test_email_check_says_ok_or_why_not_and_never_shows_a_password(
        account, smtp, tmp_path: Path, monkeypatch) -> None:
    env = {"CALLCENTER_CONFIG": str(tmp_path / "absent.toml"), "CALLCENTER_INSTANCE_DIR": str(tmp_path / "i"),
           "CALLCENTER_DATABASE__URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "CALLCENTER_LAB__ENABLED": "false",
           "CALLCENTER_CHANNELS__EMAIL__ENABLED": "true", "CALLCENTER_CHANNELS__EMAIL__IMAP_HOST": "127.0.0.1",
           "CALLCENTER_CHANNELS__EMAIL__IMAP_PORT": str(account.server.port),
           "CALLCENTER_CHANNELS__EMAIL__IMAP_SSL": "false", "CALLCENTER_CHANNELS__EMAIL__IMAP_USER": account.user,
           "CALLCENTER_CHANNELS__EMAIL__IMAP_PASSWORD": account.password,
           "CALLCENTER_CHANNELS__EMAIL__SMTP_PORT": str(smtp[1])}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ok = CliRunner().invoke(main, ["email", "check"])
    assert ok.exit_code == 0, ok.output
    assert f"IMAP 127.0.0.1:{account.server.port} mailbox INBOX: OK" in ok.output and "SMTP" in ok.output
    monkeypatch.setenv("CALLCENTER_CHANNELS__EMAIL__IMAP_PASSWORD", "Wrong-Horse-Battery")
    monkeypatch.setenv("CALLCENTER_CHANNELS__EMAIL__SMTP_PORT", "1")
    bad = CliRunner().invoke(main, ["email", "check"])
    assert bad.exit_code == 1
    assert "refused the user name" in bad.output and "nothing answers at 127.0.0.1:1" in bad.output
    assert "Wrong-Horse-Battery" not in bad.output and account.password not in bad.output


def test_with_a_processed_folder_stored_mail_is_moved_there(container, email, account) -> None:
    container.settings.channels.email = email.model_copy(update={"processed_folder": "Processed"})
    account.append(*(mail(f"<p{i}@customer.example>", f"Question {i}", f"Body {i}",
                          sender=f"c{i}@customer.example") for i in range(3)))
    assert fetch_round(container.mail_fetcher()) == 3
    assert account.flags() == {}
    assert sorted(account.flags("Processed")) == [f"<p{i}@customer.example>" for i in range(3)]
    assert len(messages(container)) == 3
