"""Sending the daily summary over SMTP, at most once per day when scheduled.

The scheduled send claims ``summary:<day>`` (``dispatch.runs``) in its own
committed transaction before the first message leaves: a restart, a second
dispatcher or a misfired duplicate finds the key taken and sends nothing.
A crash between the claim and the send loses that day's e-mail rather than
doubling it; ``callcenter report daily --send`` sends it by hand.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..access import audit
from ..access.audit import Actor
from ..config import Settings, SummarySettings
from ..db import transaction
from ..dispatch import runs
from ..models import Role, User
from . import daily

log = logging.getLogger(__name__)
# A plain address: no spaces, quotes, angle brackets or control characters (no header injection).
ADDRESS = re.compile(r"^[^\s@\"<>,;()\\]+@[^\s@\"<>,;()\\]+$")


class SummaryError(Exception):
    """The summary could not be sent (no recipient, SMTP refused); the message says why."""


@dataclass
class Sent:
    day: dt.date
    recipients: list[str]


def zone(settings: Settings) -> str:
    return settings.summary.timezone or settings.timezone


def recipients(session: Session, cfg: SummarySettings) -> list[tuple[str, str]]:
    """(address, language): the configured list, or every active supervisor with an address."""
    if cfg.recipients:
        found = [(a.strip(), cfg.language) for a in cfg.recipients]
    else:
        found = [((u.email or "").strip(), u.language if u.language in daily.LANGUAGES else cfg.language)
                 for u in session.scalars(select(User).where(User.role == Role.SUPERVISOR, User.is_active,
                                                             User.email.is_not(None)).order_by(User.id))]
    good = [(a, lang) for a, lang in found if ADDRESS.match(a)]
    for address, _ in set(found) - set(good):
        log.warning("daily summary: skipping invalid address %r", address[:80])
    return good


def message(summary: daily.DailySummary, language: str, sender: str, to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = daily.subject(summary, language)
    msg["From"], msg["To"] = sender, to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(daily.render_text(summary, language))
    msg.add_alternative(daily.render_html(summary, language), subtype="html")
    # After the content: setting it drops every Content-* header already there.
    msg["Content-Language"] = "zh-CN" if language == "zh" else "en"
    return msg


def send(factory: sessionmaker[Session], settings: Settings, day: dt.date) -> Sent:
    """Build the day's summary and send it to every recipient, now."""
    cfg = settings.summary
    if not ADDRESS.match(cfg.sender):
        raise SummaryError(f"[summary] sender {cfg.sender!r} is not a plain e-mail address")
    with factory() as session:
        to = recipients(session, cfg)
        built = daily.build(session, day, zone(settings))
    if not to:
        raise SummaryError("no recipients: set [summary] recipients or give supervisors an e-mail address")
    try:
        with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout) as smtp:
            if cfg.smtp_starttls:
                smtp.starttls()
            if cfg.smtp_user:
                smtp.login(cfg.smtp_user, cfg.smtp_password.get_secret_value())
            for address, language in to:
                smtp.send_message(message(built, language, cfg.sender, address))
    except (OSError, smtplib.SMTPException) as exc:
        # The exception text never holds the password; the host tells the operator where to look.
        raise SummaryError(f"SMTP {cfg.smtp_host}:{cfg.smtp_port}: {exc}") from exc
    return Sent(day=day, recipients=[a for a, _ in to])


def send_now(factory: sessionmaker[Session], settings: Settings, day: dt.date, actor: Actor) -> Sent:
    """Someone sends a day's summary by hand (``callcenter report daily --send``): audited."""
    sent = send(factory, settings, day)
    with transaction(factory) as session:
        audit.record(session, "daily_summary_sent", actor, object_type="summary", object_id=day.isoformat(),
                     recipients=len(sent.recipients))
    return sent


def key(day: dt.date) -> str:
    return f"summary:{day.isoformat()}"


def send_once(factory: sessionmaker[Session], settings: Settings, day: dt.date) -> Sent | None:
    """The scheduled send: None if this day's summary was already claimed (sent or being sent)."""
    key_ = key(day)
    with transaction(factory) as session:
        if not runs.claim(session, key_, "daily_summary", day=day.isoformat()):
            return None
    try:
        sent = send(factory, settings, day)
    except SummaryError as exc:
        log.error("daily summary for %s not sent: %s", day, exc)
        with transaction(factory) as session:
            runs.finish(session, key_, "failed", error=str(exc)[:300])
        raise
    with transaction(factory) as session:
        runs.finish(session, key_, "done", recipients=len(sent.recipients))
    log.info("daily summary for %s sent to %d recipient(s)", day, len(sent.recipients))
    return sent
