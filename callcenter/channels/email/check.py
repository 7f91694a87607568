"""``callcenter email check``: log in to the mailbox and the SMTP server, and say in plain words what failed.

The words come from what the connection raised, never from the settings'
secrets: a password is never part of an answer.
"""
from __future__ import annotations

import smtplib
import socket
import ssl

from imap_tools.errors import MailboxFolderSelectError, MailboxLoginError

from ..settings import EmailSettings
from .imap import close, connect
from .smtp import connect as smtp_connect

TIMEOUT = 10.0


def _network(exc: OSError, host: str, port: int) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"nothing answers at {host}:{port} (connection refused)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer from {host}:{port} within {TIMEOUT:.0f} seconds"
    if isinstance(exc, socket.gaierror):
        return f"the name {host} cannot be resolved"
    if isinstance(exc, ssl.SSLError):
        return f"the secure connection to {host}:{port} failed ({exc.reason or exc}): check the SSL/STARTTLS settings"
    return f"cannot reach {host}:{port} ({type(exc).__name__}: {exc})"


def check_imap(settings: EmailSettings) -> str | None:
    """None when we can log in and open the mailbox; else why not."""
    host, port = settings.imap_host, settings.imap_port
    try:
        box = connect(settings, timeout=TIMEOUT)
    except MailboxLoginError:
        return f"{host}:{port} refused the user name {settings.imap_user!r} or its password"
    except MailboxFolderSelectError:
        return f"logged in, but there is no mailbox named {settings.mailbox!r}"
    except OSError as exc:
        return _network(exc, host, port)
    except Exception as exc:  # noqa: BLE001 - any other refusal, in the server's words
        return f"{host}:{port} refused us: {' '.join(str(exc).split())[:300]}"
    close(box)
    return None


def check_smtp(settings: EmailSettings) -> str | None:
    """None when the SMTP server takes our login (or needs none); else why not."""
    host, port = settings.smtp_host, settings.smtp_port
    try:
        with smtp_connect(settings.model_copy(update={"smtp_timeout": TIMEOUT})) as smtp:
            smtp.noop()
    except smtplib.SMTPAuthenticationError:
        return f"{host}:{port} refused the user name {settings.smtp_user!r} or its password"
    except smtplib.SMTPNotSupportedError as exc:
        return f"{host}:{port} does not offer what the settings ask for ({exc})"
    except smtplib.SMTPResponseException as exc:
        said = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{host}:{port} said {exc.smtp_code} {said[:300]}"
    except smtplib.SMTPException as exc:
        return f"{host}:{port} refused us: {exc}"
    except OSError as exc:
        return _network(exc, host, port)
    return None
