"""Sending replies over SMTP: the e-mail channel's ``Adapter`` (also the web form's, whose replies go by e-mail).

The server's answer decides whether trying again can help: a 5xx refusal of
the address or the message is permanent (the reply fails for a person to
see); a 4xx, a timeout or a refused connection is tried again by
``Delivery``.  A failed login is a setting to fix, so it is tried again too.
"""
from __future__ import annotations

import smtplib
import ssl

from ...conversations.attachments import AttachmentStore
from ...models import Channel
from ..base import DeliveryError, Outgoing
from ..settings import EmailSettings
from .compose import compose


def connect(settings: EmailSettings) -> smtplib.SMTP:
    """A logged-in SMTP session as the settings ask (SSL, STARTTLS, login); the caller closes it."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_ssl:
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout,
                                context=context)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    try:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
    except BaseException:
        smtp.close()
        raise
    return smtp


def _said(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"[:500]


def refusal(exc: Exception) -> DeliveryError:
    """What one SMTP failure means for the next attempt."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        permanent = bool(answers) and all(code >= 500 for code, _ in answers)
        return DeliveryError("recipient refused: " + "; ".join(_said(c, t) for c, t in answers), permanent=permanent)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError("the SMTP server refused our login: " + _said(exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryError("the SMTP server said " + _said(exc.smtp_code, exc.smtp_error),
                             permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # an address that needs SMTPUTF8 the server lacks
        return DeliveryError(f"the SMTP server cannot take this message: {exc}", permanent=True)
    return DeliveryError(f"could not reach the SMTP server: {type(exc).__name__}: {exc}")


class SMTPAdapter:
    """One reply per SMTP session: replies are few and a session never goes stale between them."""

    def __init__(self, settings: EmailSettings, store: AttachmentStore | None = None,
                 channel: Channel = Channel.EMAIL) -> None:
        self.settings, self.store, self.channel = settings, store, channel

    def send(self, outgoing: Outgoing) -> str | None:
        mail = compose(outgoing, self.settings, self.store)
        to = mail["To"].addresses[0].addr_spec
        try:
            with connect(self.settings) as smtp:
                smtp.send_message(mail, from_addr=self.settings.address, to_addrs=[to])
        except (smtplib.SMTPException, OSError) as exc:
            raise refusal(exc) from exc
        return str(mail["Message-ID"])
