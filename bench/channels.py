"""E-mail channel benchmark: a real Dovecot mailbox turned into tickets, and how soon a new mail is a ticket.

1. Throughput: a mailbox of 10,000 realistic mails (1,000 with ``--quick``):
   English and Chinese (UTF-8, GBK), plain and HTML, answers in threads, a
   few with attachments, 2,000 senders.  Baseline: bare imap-tools fetching
   the same mailbox (UNSEEN search, bulk ``BODY.PEEK[]``, each message parsed
   and its subject, sender and text read).  Ours: the ``MailFetcher`` storing
   every mail as a ticket message in SQLite (one transaction each) and
   marking it seen afterwards.
2. Arrival to ticket: the fetcher waits in IMAP IDLE while mails are
   appended at a steady rate; latency = from the APPEND to the commit of the
   mail's ticket row.

Goals: ours >= 0.5x the bare fetch; p99 arrival-to-ticket < 5 s.

    .venv/bin/python bench/channels.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imap_tools import AND
from rich.console import Console
from rich.table import Table

from callcenter import migrations
from callcenter.channels.email.imap import MailFetcher, close, connect
from callcenter.channels.email.inbound import to_inbound
from callcenter.channels.email.intake import MailIntake
from callcenter.channels.email.parse import parse
from callcenter.config import Settings
from callcenter.models import Message, utcnow
from callcenter.wiring import Container
from tests.support.mailservers import Account, dovecot

SUBJECTS_EN = ["Router down", "Invoice is wrong", "Cannot log in", "Refund request", "Delivery is late",
               "Change my address", "Password reset", "Broken screen", "Cancel my order", "Question about plan"]
SUBJECTS_ZH = ["路由器坏了", "发票抬头错了", "无法登录", "申请退款", "快递还没到", "修改收货地址", "重置密码",
               "屏幕碎了", "取消订单", "套餐咨询"]
BODY_EN = ("Hello,\n\nMy order {n} has a problem: {s}. I tried restarting everything twice and it did not help.\n"
           "Could you please look into it today? My phone number is +86 138 0013 {n4}.\n\nThanks,\n{name}\n")
BODY_ZH = ("您好：\n\n我的订单 {n} 有问题：{s}。我已经重启了两次，还是不行。\n"
           "请今天帮我处理一下，我的电话是 138 0013 {n4}。\n\n谢谢！\n{name}\n")
NAMES = ["Wang Fang", "Li Wei", "Zhang Min", "Liu Yang", "Chen Jing", "Anna Smith", "John Brown", "王芳", "李伟",
         "张敏"]


def realistic_mail(i: int, rng: random.Random, support: str) -> bytes:
    """One customer mail: a tenth answer an earlier one, a third are HTML, a fifth GBK, 3 % carry a file."""
    chinese = rng.random() < 0.5
    subject = rng.choice(SUBJECTS_ZH if chinese else SUBJECTS_EN)
    name = rng.choice(NAMES)
    body = (BODY_ZH if chinese else BODY_EN).format(n=100_000 + i, n4=f"{i % 10_000:04d}", s=subject, name=name)
    msg = EmailMessage()
    msg["From"] = f"{name} <customer{rng.randrange(2000)}@example.{'cn' if chinese else 'com'}>"
    msg["To"], msg["Date"] = support, format_datetime(utcnow())
    msg["Message-ID"] = f"<bench{i}@mail.example.com>"
    if i > 10 and rng.random() < 0.1:
        earlier = f"<bench{rng.randrange(i)}@mail.example.com>"
        msg["In-Reply-To"] = msg["References"] = earlier
        subject = "Re: " + subject
    msg["Subject"] = subject
    msg.set_content(body, charset="gbk" if chinese and rng.random() < 0.4 else "utf-8")
    if rng.random() < 0.33:
        msg.add_alternative("<html><body>" + "".join(f"<p>{line}</p>" for line in body.splitlines() if line)
                            + "</body></html>", subtype="html")
    if rng.random() < 0.03:
        msg.add_attachment(rng.randbytes(20_000), maintype="application", subtype="pdf", filename="receipt.pdf")
    return msg.as_bytes()


def fill(account: Account, mails: list[bytes]) -> float:
    started = time.perf_counter()
    with account.imap() as box:
        for raw in mails:
            box.append(raw, "INBOX")
    return time.perf_counter() - started


def bare_fetch(account: Account) -> tuple[int, float]:
    """The baseline: what any imap-tools script does to read a mailbox."""
    started = time.perf_counter()
    count = 0
    with account.imap() as box:
        for msg in box.fetch(AND(seen=False), mark_seen=False, bulk=100):
            if msg.uid and (msg.subject or msg.from_ or msg.text):
                count += 1
    return count, time.perf_counter() - started


def make_container(workdir: Path, name: str, account: Account) -> Container:
    settings = Settings(instance_dir=workdir / name, database={"url": f"sqlite:///{workdir / name}.db"},
                        lab={"enabled": False}, web={"secret_key": "bench", "port": 0})
    settings.channels.email = account.settings()
    container = Container(settings)
    migrations.upgrade(container.engine)
    return container


def drained(fetcher: MailFetcher) -> tuple[int, float]:
    """(mails stored, seconds) for one fetcher emptying its mailbox."""
    started = time.perf_counter()
    box = connect(fetcher.settings)
    try:
        fetcher.drain(box)
    finally:
        close(box)
    return fetcher.stored, time.perf_counter() - started


class ParseOnly(MailIntake):
    """For the breakdown row only: the transport's own work (parse, the Inbound), no database."""

    def store(self, raw: bytes, *, too_large: int | None = None) -> Message:
        mail = parse(raw)
        inbound = to_inbound(mail, own_address=self.settings.address, own_domain=self.settings.message_id_domain)
        return Message(channel_key=inbound.channel_key)


def transport_only(container: Container) -> MailFetcher:
    cfg = container.settings.channels.email
    return MailFetcher(cfg, ParseOnly(cfg, container.session_factory, container.channel_intake,
                                      container.conversations, container.customers))


def arrival(container: Container, account: Account, n: int, rate: float) -> list[float]:
    """Seconds from each APPEND to its ticket's commit, with the fetcher in IDLE."""
    fetcher = container.mail_fetcher()
    committed: dict[str, float] = {}
    real_store = fetcher.intake.store

    def store(raw: bytes, *, too_large: int | None = None) -> Message:
        message: Message = real_store(raw, too_large=too_large)
        committed[message.channel_key or ""] = time.monotonic()
        return message

    # The bench times each commit by wrapping the real store on this one instance.
    fetcher.intake.store = store  # type: ignore[method-assign]
    fetcher.start()
    appended: dict[str, float] = {}
    rng = random.Random(11)
    try:
        time.sleep(1.0)  # logged in and idling
        with account.imap() as box:
            for i in range(n):
                raw = realistic_mail(50_000 + i, rng, account.user)
                key = raw.split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].strip().decode()
                appended[key] = time.monotonic()
                box.append(raw, "INBOX")
                time.sleep(1 / rate)
        deadline = time.monotonic() + 60
        while len(committed) < n and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        fetcher.stop()
    return sorted(committed[k] - appended[k] for k in appended if k in committed)


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1,000 mails instead of 10,000")
    args = ap.parse_args()
    n = 1_000 if args.quick else 10_000
    n_live, rate = (100, 10.0) if args.quick else (300, 10.0)
    console = Console(width=110)
    with tempfile.TemporaryDirectory() as tmp, dovecot() as server:
        workdir = Path(tmp)
        account = server.account()
        rng = random.Random(7)
        mails = [realistic_mail(i, rng, account.user) for i in range(n)]
        size = sum(len(m) for m in mails)
        filled = fill(account, mails)
        bare_count, bare_s = bare_fetch(account)
        copy = server.account()  # the same mails, for the transport-only row (it marks them seen)
        fill(copy, mails)
        container = make_container(workdir, "transport", copy)
        try:
            transport_count, transport_s = drained(transport_only(container))
        finally:
            container.close()
        container = make_container(workdir, "throughput", account)
        try:
            our_count, our_s = drained(container.mail_fetcher())
        finally:
            container.close()
        live_account = server.account()
        container = make_container(workdir, "arrival", live_account)
        try:
            latencies = arrival(container, live_account, n_live, rate)
        finally:
            container.close()
    bare_rate, our_rate = bare_count / bare_s, our_count / our_s
    t = Table(title=f"Mailbox to tickets: {n:,} mails, {size / 1e6:.1f} MB (filled by APPEND in {filled:.0f} s)")
    for col in ("variant", "mails", "seconds", "mails/s", "vs baseline"):
        t.add_column(col)
    t.add_row("baseline: bare imap-tools fetch + parse", f"{bare_count:,}", f"{bare_s:.1f}", f"{bare_rate:,.0f}",
              "1.0x")
    t.add_row("ours: MailFetcher -> tickets (SQLite), marked seen", f"{our_count:,}", f"{our_s:.1f}",
              f"{our_rate:,.0f}", f"{our_rate / bare_rate:.2f}x")
    transport_rate = transport_count / transport_s
    t.add_row("breakdown: ours without the database (fetch, parse, Inbound, mark)", f"{transport_count:,}",
              f"{transport_s:.1f}", f"{transport_rate:,.0f}", f"{transport_rate / bare_rate:.2f}x")
    console.print(t)
    t = Table(title=f"Arrival to ticket with IMAP IDLE: {n_live} mails at {rate:.0f}/s")
    for col in ("stored", "p50 (ms)", "p99 (ms)", "max (ms)", "mean (ms)"):
        t.add_column(col)
    t.add_row(f"{len(latencies)}/{n_live}", f"{pct(latencies, 0.5) * 1000:.0f}", f"{pct(latencies, 0.99) * 1000:.0f}",
              f"{max(latencies, default=float('nan')) * 1000:.0f}",
              f"{statistics.fmean(latencies) * 1000 if latencies else float('nan'):.0f}")
    console.print(t)
    result = {"mails": n, "bare_mails_per_s": round(bare_rate, 1), "ours_mails_per_s": round(our_rate, 1),
              "ratio": round(our_rate / bare_rate, 3), "stored": our_count,
              "transport_only_mails_per_s": round(transport_rate, 1), "arrival_mails": n_live,
              "arrival_stored": len(latencies), "arrival_p50_s": round(pct(latencies, 0.5), 4),
              "arrival_p99_s": round(pct(latencies, 0.99), 4), "goal_ratio": 0.5, "goal_arrival_p99_s": 5.0}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
