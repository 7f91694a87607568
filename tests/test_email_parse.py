"""The e-mail channel's parsing half over mail as real clients send it (tests/data/mail/*.eml):
charsets (GBK declared as gb2312, GB18030's four-byte characters), every MIME shape, safe text from
HTML, quoted history cut for the Chinese clients, delivery reports, mail we must never answer, and
bytes that are no mail at all."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.channels.email.bounces import Bounce, bounces
from callcenter.channels.email.charsets import decode
from callcenter.channels.email.inbound import thread_keys, ticket_number, to_inbound
from callcenter.channels.email.loops import no_reply, no_reply_reason
from callcenter.channels.email.parse import ParsedMail, parse
from callcenter.channels.email.quoting import latest_reply
from callcenter.models import Channel

MAIL = Path(__file__).parent / "data" / "mail"
OWN = {"own_address": "support@example.com", "own_domain": "callcenter.example"}
SYNTHETIC = re.compile(r"^<[0-9a-f]{64}@missing-id\.invalid>$")


def raw(name: str) -> bytes:
    return (MAIL / f"{name}.eml").read_bytes()


def mail(name: str) -> ParsedMail:
    return parse(raw(name))


def test_foxmail_declares_gb2312_but_sends_gbk_and_its_history_is_cut() -> None:
    m = mail("foxmail_gbk")
    # 喆 and 镕 are GBK, not GB2312: decoding the label literally would lose them.
    assert m.from_name == "王喆" and m.from_address == "wangzhe@foxmail.com"
    assert m.subject == "回复：[#1000017] 路由器故障"
    assert m.reply_text == "您好，路由器还是一直闪红灯，我是王喆，朱镕基路的那家店。\n请尽快派人来看看。"
    assert "原始邮件" in m.text and "请重启路由器" in m.text  # the whole body is still there
    assert m.message_id == "<tencent_3F2A1B0C9D8E7F6A5B4C3D2E1F0A@qq.com>"
    assert m.in_reply_to == ["<reply-17-1@callcenter.example>"]
    assert m.date == dt.datetime(2026, 12, 2, 1, 15, tzinfo=dt.UTC) and m.date.utcoffset() == dt.timedelta(0)
    assert m.attachments == [] and not m.is_report and m.size == len(raw("foxmail_gbk"))


def test_qq_mail_in_gb18030_keeps_a_four_byte_character() -> None:
    m = mail("qqmail_gb18030")
    assert m.subject == "会员卡无法使用𠮷" and m.from_name == "吉田" and m.from_address == "10001@qq.com"
    assert m.text == "你好，我在𠮷野家门店买的会员卡无法使用，卡号 8800123。\n麻烦尽快处理，谢谢！"
    assert m.reply_text == m.text


def test_outlook_zh_reply_is_cut_at_its_header_and_keeps_the_photo() -> None:
    m = mail("outlook_zh_reply")
    assert m.reply_text == "好的，我已经按照你们说的重启了，还是不行。附件是现场照片。"
    assert m.cc == ["wei.zhou@contoso.com.cn"] and m.to == ["support@example.com"]
    [photo] = m.attachments
    assert photo.filename == "现场照片.jpg" and photo.content_type == "image/jpeg"
    assert photo.data == bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def test_a_long_thread_keeps_its_newest_references() -> None:
    refs = " ".join(f"<message-{i}-of-a-long-thread@mail.example.com>" for i in range(80))
    m = parse(f"From: a@example.com\r\nMessage-ID: <r@example.com>\r\nReferences: {refs}\r\n\r\nhi\r\n".encode())
    assert len(m.references) == 50 and m.references[-1] == "<message-79-of-a-long-thread@mail.example.com>"
    assert thread_keys(m)[0] == "<message-79-of-a-long-thread@mail.example.com>"


def test_gmail_zh_reply_is_cut_at_its_wrote_line() -> None:
    m = mail("gmail_zh_reply")
    assert m.reply_text == "谢谢，快递单号是 SF1234567890，麻烦帮我查一下。"
    assert "写道" in m.text and "写道" not in m.reply_text
    assert thread_keys(m) == ["<reply-42-1@callcenter.example>", "<first-42@gmail.com>"]


def test_html_only_mail_becomes_safe_text_with_its_link() -> None:
    m = mail("html_only_script")
    assert m.text == ("Refund request\n\nPlease refund order A-1001.\n\n"
                      "Receipt: [my receipt](https://shop.example/receipt/1001)")
    assert not re.search(r"[<>]|script|cookie|evil|color|onerror", m.text)
    [logo] = m.attachments  # the inline image has no name: it is still kept
    assert logo.filename == "attachment-1.png" and logo.data.startswith(b"\x89PNG")


def test_rfc2231_chinese_filename_a_nameless_part_and_a_forwarded_message_are_files() -> None:
    m = mail("attachment_rfc2231")
    assert m.text == "发票抬头写错了，应该是“北京示例科技有限公司”，附件是发票。"
    pdf, blob, forwarded = m.attachments
    assert (pdf.filename, pdf.content_type) == ("发票 2026-12.pdf", "application/pdf")
    assert pdf.data.startswith(b"%PDF-1.4") and pdf.data.endswith(b"%%EOF\n")
    assert (blob.filename, blob.data) == ("attachment-2.bin", bytes(range(256)))
    assert forwarded.filename == "Your invoice.eml" and forwarded.content_type == "message/rfc822"
    assert b"Message-ID: <inv-2026-12@shop.example>" in forwarded.data
    assert parse(forwarded.data).text == "Invoice attached. Forwarded history must stay an attachment."


def test_a_raw_8bit_gbk_subject_and_a_missing_message_id() -> None:
    m = mail("no_message_id")
    assert m.subject == "设备告警" and m.text == "3号机组温度过高。"
    assert SYNTHETIC.match(m.message_id)
    assert parse(raw("no_message_id")).message_id == m.message_id  # fetched twice: one message
    assert parse(raw("no_message_id") + b"\r\n").message_id != m.message_id


def test_a_permanent_bounce_names_the_address_and_our_message() -> None:
    m = mail("postfix_dsn")
    assert m.is_report and no_reply_reason(m, **OWN) == "bounce"
    assert "could not\nbe delivered" in m.text and "We are sending an engineer" not in m.text
    assert bounces(raw("postfix_dsn")) == [Bounce("wangzhe@foxmail.com", "5.1.1", "550 5.1.1 Mailbox not found.",
                                                  True, "<reply-17-2@callcenter.example>")]


def test_a_delay_warning_is_temporary_and_reads_the_returned_headers() -> None:
    [delay] = bounces(raw("postfix_delayed"))
    assert (delay.address, delay.status, delay.permanent) == ("chen.jing@slow.example.cn", "4.4.1", False)
    assert delay.original_message_id == "<reply-25-1@callcenter.example>"
    assert "Connection timed out" in delay.diagnostic


def test_a_report_from_a_bare_mailer_daemon_is_a_bounce() -> None:
    m = parse(b"From: MAILER-DAEMON (Mail Delivery System)\r\nSubject: Returned mail\r\n\r\nUser unknown\r\n")
    assert m.from_address == "mailer-daemon" and no_reply_reason(m, **OWN) == "bounce"
    assert to_inbound(m, **OWN).sender.value == "mailer-daemon"  # the intake finds no customer for it


def test_ordinary_mail_has_no_bounces() -> None:
    assert bounces(raw("foxmail_gbk")) == [] and bounces(raw("garbage")) == [] and bounces(b"") == []


@pytest.mark.parametrize(("name", "reason", "evidence"), [
    ("vacation_autoreply", "auto_reply", "auto-submitted: auto-replied (vacation)"),
    ("mailing_list", "bulk", "precedence: list"),
    ("own_reply_loop", "loop", "from: support@example.com"),
    ("postfix_dsn", "bounce", "content-type: multipart/report; report-type=delivery-status"),
    ("foxmail_gbk", None, None),
    ("outlook_zh_reply", None, None),
    ("garbage", None, None),
])
def test_mail_we_never_answer(name: str, reason: str | None, evidence: str | None) -> None:
    verdict = no_reply(mail(name), **OWN)
    assert (verdict.reason if verdict else None, verdict.evidence if verdict else None) == (reason, evidence)


@pytest.mark.parametrize(("change", "reason"), [
    ({"headers": {"x-loop": "Support@Example.com"}}, "loop"),
    ({"message_id": "<reply-1-1@CallCenter.Example>"}, "loop"),
    ({"from_address": "mailer-daemon@mx.qq.com"}, "bounce"),
    ({"from_address": "postmaster@163.com"}, "bounce"),
    ({"headers": {"auto-submitted": "auto-generated"}}, "auto_reply"),
    ({"headers": {"auto-submitted": "no"}}, None),
    ({"headers": {"x-autoreply": "yes"}}, "auto_reply"),
    ({"headers": {"x-autorespond": "1"}}, "auto_reply"),
    ({"headers": {"x-auto-response-suppress": "All"}}, "auto_reply"),
    ({"headers": {"return-path": "<>"}}, "auto_reply"),
    ({"subject": "Automatic reply: Router down"}, "auto_reply"),
    ({"subject": "Out of Office: back on Monday"}, "auto_reply"),
    ({"subject": "自动回复：[#1000017] 路由器故障"}, "auto_reply"),
    ({"subject": "自动答复: 打印机故障"}, "auto_reply"),
    ({"subject": "Re: my office is out of paper"}, None),
    ({"headers": {"precedence": "junk"}}, "bulk"),
    ({"headers": {"list-unsubscribe": "<https://news.example/u>"}}, "bulk"),
])
def test_each_sign_of_mail_we_never_answer(change: dict[str, Any], reason: str | None) -> None:
    person = mail("foxmail_gbk")
    assert no_reply_reason(dataclasses.replace(person, **change), **OWN) == reason


@pytest.mark.parametrize(("text", "reply"), [
    ("收到。\n\n发件人： 客服 <s@example.com>\n发送时间： 2026年12月1日 10:00\n收件人： 张三\n\n旧", "收到。"),
    ("收到了。\n\n---- 回复的原邮件 ----\n| 发件人 | 客服<s@example.com> |\n| 日期 | 2026年12月01日 |\n旧", "收到了。"),
    ("好的\n\n2026年12月1日 上午10:00，客服 <s@example.com> 写道：\n\n> 旧", "好的"),
    ("好的\n\n客服 <s@example.com> 于2026年12月1日周一 10:00写道：\n> 旧", "好的"),
    ("好的\n\n-----邮件原件-----\n发件人: 客服\n旧", "好的"),
    ("Fine.\n\nOn Mon, Dec 1, 2026 at 10:00 AM Support <s@example.com> wrote:\n> old", "Fine."),
    ("Fine.\n\n-----Original Message-----\nFrom: Support\nold", "Fine."),
    ("第一点\n- 第二点\n谢谢，再见", "第一点\n- 第二点\n谢谢，再见"),
    ("> 全部是引用\n> 没有新内容", ""),
])
def test_quoted_history_is_cut_for_each_client(text: str, reply: str) -> None:
    assert latest_reply(text) == reply


@pytest.mark.parametrize(("data", "label", "text"), [
    ("喆镕".encode("gbk"), "gb2312", "喆镕"),
    ("𠮷".encode("gb18030"), "GBK", "𠮷"),
    ("你好".encode(), "iso-2022-jp", "你好"),  # wrong label: UTF-8 next
    ("你好".encode("gbk"), "utf-8", "你好"),  # wrong label: GB18030 next
    ("你好".encode("gbk"), "x-no-such-charset", "你好"),
    (b"caf\xe9", "base64", "café"),  # a codec that is not a text encoding is no charset
    (b"\xff\xfe\xfd", None, "ÿþý"),  # nothing fits: Latin-1
])
def test_a_wrong_or_unknown_charset_falls_back(data: bytes, label: str | None, text: str) -> None:
    assert decode(data, label) == text


@pytest.mark.parametrize(("subject", "number"), [
    ("回复：[#1000017] 路由器故障", "1000017"), ("Re: #1000017", "1000017"), ("Ticket 1000017 again", "1000017"),
    ("工单 1000017", "1000017"), ("工单号：1000017", "1000017"), ("[#1000018] wrong check digit", None),
    ("order 1000017", None), ("#10000170", None), ("Re: #1000018 and [#1000025]", "1000025"),
])
def test_a_ticket_number_in_the_subject_needs_its_check_digit(subject: str, number: str | None) -> None:
    assert ticket_number(subject) == number


def test_to_inbound_carries_what_the_intake_needs() -> None:
    inbound = to_inbound(mail("gmail_zh_reply"), **OWN)
    assert inbound.channel == Channel.EMAIL and inbound.channel_key.endswith("@mail.gmail.com>")
    assert (inbound.sender.kind, inbound.sender.value, inbound.sender.name) == ("email", "chen.jing@gmail.com", "陈静")
    assert inbound.body == "谢谢，快递单号是 SF1234567890，麻烦帮我查一下。" and inbound.subject == "Re: 快递没收到"
    assert list(inbound.thread_keys) == ["<reply-42-1@callcenter.example>", "<first-42@gmail.com>"]
    assert inbound.ticket_number is None and inbound.no_reply is None and inbound.recipient == "support@example.com"
    assert inbound.meta["date"] == "2026-12-01T03:20:45+00:00" and inbound.meta["to"] == ["support@example.com"]
    assert inbound.received_at is not None and inbound.received_at.tzinfo is not None
    vacation = to_inbound(mail("vacation_autoreply"), **OWN)
    assert vacation.no_reply == "auto_reply" and vacation.ticket_number == "1000017"
    assert vacation.meta["no_reply_evidence"] == "auto-submitted: auto-replied (vacation)"


def test_a_body_that_is_all_quote_falls_back_to_the_whole_text() -> None:
    quoted = parse(b"From: a@example.com\r\nMessage-ID: <q@example.com>\r\n\r\n> only a quote\r\n")
    assert quoted.reply_text == "" and to_inbound(quoted, **OWN).body == "> only a quote"


def test_garbage_is_still_a_message() -> None:
    m = mail("garbage")
    assert SYNTHETIC.match(m.message_id) and m.from_address == "" and m.size == len(raw("garbage"))
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", m.text)


@pytest.mark.parametrize("name", sorted(p.stem for p in MAIL.glob("*.eml")))
def test_every_sample_cut_short_still_parses(name: str) -> None:
    data = raw(name)
    for end in range(0, len(data), max(1, len(data) // 40)):
        m = parse(data[:end])
        assert m.message_id.startswith("<") and m.message_id.endswith(">") and m.size == end
        bounces(data[:end])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_parse_never_raises_on_any_bytes(data: bytes) -> None:
    m = parse(data)
    assert m.message_id.startswith("<") and m.size == len(data)
    assert isinstance(bounces(data), list)


HEADERS = st.sampled_from([
    b"Content-Type: multipart/mixed; boundary=", b"Content-Type: text/plain; charset=", b"Subject: =?gbk?B?",
    b"Content-Transfer-Encoding: base64", b"Content-Disposition: attachment; filename*=", b"From: ",
    b"Content-Type: message/rfc822", b"Content-Type: multipart/report; report-type=delivery-status; boundary=",
    b"Message-ID: <", b"\r\n--", b"\r\n\r\n", b"Date: ", b"=?utf-8?Q?", b"Final-Recipient: rfc822;", b"Action: failed",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(HEADERS | st.binary(max_size=40), max_size=30).map(b"".join))
def test_parse_never_raises_on_mime_shaped_garbage(data: bytes) -> None:
    m = parse(data)
    assert m.message_id.startswith("<") and isinstance(m.text, str)
    assert isinstance(bounces(data), list)


@pytest.mark.timeout(60)  # the library's patterns alone would backtrack for minutes on these lines
def test_hostile_header_like_lines_do_not_hide_the_real_header() -> None:
    hostile = ("On " * 130 + "wrote:\n") * 3000 + ("From: " + "On " * 300 + "\n") * 3000
    text = "Real reply.\n\nOn Mon, Dec 1, 2026 at 10:00 AM Support <s@example.com> wrote:\n" + hostile
    assert latest_reply(text) == "Real reply."
    assert latest_reply("Only words " * 100_000) == ("Only words " * 100_000).strip()


def test_a_body_too_long_to_show_is_also_kept_whole_as_a_file() -> None:
    html = ("<p>" + "你好 <a href='https://x.example'>链接</a> " * 60_000 + "</p>").encode()
    data = (b"From: a@example.com\r\nMessage-ID: <big@example.com>\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + html)
    m = parse(data)
    assert m.text.startswith("你好 [链接](https://x.example) 你好") and len(m.text) < len(html)
    [whole] = m.attachments
    assert (whole.filename, whole.content_type, whole.data) == ("message.html", "text/html", html)


def test_mime_nested_thousands_deep_keeps_its_headers_and_text() -> None:
    nesting = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(5000))
    m = parse(b"From: A <A@Example.com>\r\nMessage-ID: <deep@example.com>\r\n" + nesting
              + b"Content-Type: text/plain\r\n\r\nhello at the bottom\r\n")
    assert (m.message_id, m.from_address, m.from_name) == ("<deep@example.com>", "a@example.com", "A")
    assert m.text.endswith("hello at the bottom") and m.attachments == []


def test_filenames_in_every_encoding_chinese_clients_use() -> None:
    def part(disposition: bytes) -> bytes:
        return b"--x\r\nContent-Type: application/pdf\r\n" + disposition + b"\r\n\r\nPDF\r\n"

    gbk = "王喆发票.pdf".encode("gbk")  # 喆 is GBK, not GB2312
    data = (b'From: a@example.com\r\nMessage-ID: <names@example.com>\r\nContent-Type: multipart/mixed; boundary="x"'
            b"\r\n\r\n--x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
            + part(b"Content-Disposition: attachment; filename*=gb2312''" + "".join(f"%{b:02X}" for b in gbk).encode())
            + part(b'Content-Disposition: attachment; filename="' + gbk + b'"')  # raw 8-bit, as old clients send
            + part(b'Content-Disposition: attachment; filename="=?gbk?B?' + base64.b64encode(gbk) + b'?="')
            + part(b"Content-Disposition: attachment; filename*0*=utf-8''%E5%8F%91; filename*1*=%E7%A5%A8.pdf")
            + b"--x--\r\n")
    assert [f.filename for f in parse(data).attachments] == ["王喆发票.pdf"] * 3 + ["发票.pdf"]


def test_a_message_id_too_long_for_a_channel_key_is_shortened_the_same_everywhere() -> None:
    long_id = "<" + "x" * 600 + "@example.com>"
    first = parse(f"From: a@example.com\r\nMessage-ID: {long_id}\r\n\r\nhi\r\n".encode())
    answer = parse(f"From: b@example.com\r\nIn-Reply-To: {long_id}\r\n\r\nok\r\n".encode())
    assert first.message_id.endswith("@long-id.invalid>") and len(first.message_id) < 100
    assert answer.in_reply_to == [first.message_id]


@pytest.mark.parametrize("history", [
    "<div>------------------&nbsp;原始邮件&nbsp;------------------</div><div>发件人: 客服</div><div>旧内容</div>",
    "<div><b>发件人:</b> 客服 &lt;s@example.com&gt;<br><b>发送时间:</b> 2026年12月1日 10:00</div><p>旧内容</p>",
    "<div class=gmail_quote>在 2026年12月1日周一 10:00，客服 &lt;<a href='mailto:s@example.com'>s@example.com</a>&gt; "
    "写道：<br></div><blockquote>旧内容</blockquote>",
])
def test_an_html_only_reply_is_cut_too(history: str) -> None:
    html = f"<html><body><div>好的，谢谢。</div><div><br></div>{history}</body></html>"
    m = parse(b"From: a@example.com\r\nMessage-ID: <h@example.com>\r\nContent-Type: text/html; charset=utf-8\r\n"
              b"Content-Transfer-Encoding: 8bit\r\n\r\n" + html.encode())
    assert m.reply_text == "好的，谢谢。" and "旧内容" in m.text
