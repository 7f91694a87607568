"""The support mailbox read over IMAP: every new mail stored once, then marked, never the other way round.

A round finds the unseen mails by UID (every mail, when stored ones are
moved to ``processed_folder``), reads their sizes, downloads up to
``fetch_batch`` of them without setting ``\\Seen`` (one over
``max_message_bytes`` only by its header) and stores each in its own
transaction.  Only the stored ones are then flagged (or moved), so a crash
or a server restart at any point leaves the rest to be fetched again, and
storing a mail twice is one message.  A mail that fails is logged, left
unseen and not tried again for ``retry_after`` seconds, so it never blocks
the others.  Between rounds the fetcher waits in IDLE when the server offers
it (a new mail wakes it at once), else it polls.  A lost server is reconnected
to with backoff.
"""
from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
import threading
import time
from collections.abc import Iterator, Sequence

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError

from ...retry import Backoff
from ...runner import ThreadService
from ..settings import EmailSettings
from .intake import MailIntake

log = logging.getLogger(__name__)

TIMEOUT = 60.0
FETCH_ITEM = re.compile(rb"UID (\d+)")
SIZE_ITEM = re.compile(rb"RFC822\.SIZE (\d+)")
# How often an IDLE wait looks at the stop flag.
IDLE_SLICE = 1.0


class ServerGone(Exception):
    """The server ended the IDLE (BYE, or the connection closed)."""


# What a server that went away (or never answered) raises; anything else is a bug and is logged as one.
IMAP_ERRORS: tuple[type[BaseException], ...] = (imaplib.IMAP4.error, ImapToolsError, OSError, EOFError, ServerGone)


def connect(settings: EmailSettings, timeout: float = TIMEOUT) -> BaseMailBox:
    """A logged-in mailbox with ``settings.mailbox`` selected (SSL, STARTTLS or plain, as configured)."""
    box: BaseMailBox
    if settings.imap_ssl:
        box = MailBox(settings.imap_host, settings.imap_port, timeout=timeout, ssl_context=ssl.create_default_context())
    elif settings.imap_starttls:
        box = MailBoxStartTls(settings.imap_host, settings.imap_port, timeout=timeout,
                              ssl_context=ssl.create_default_context())
    else:
        box = MailBoxUnencrypted(settings.imap_host, settings.imap_port, timeout=timeout)
    try:
        box.login(settings.imap_user, settings.imap_password.get_secret_value(), initial_folder=settings.mailbox)
        # The greeting's capabilities are the ones before login; IDLE and MOVE may appear only after it.
        typ, data = box.client.capability()
        if typ == "OK" and data and data[-1]:
            box.client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
    except BaseException:
        close(box)
        raise
    return box


def close(box: BaseMailBox) -> None:
    """Log out if the server still listens; a dead connection is just closed."""
    try:
        box.client.logout()
    except Exception:  # noqa: BLE001 - it is gone either way
        with contextlib.suppress(Exception):
            box.client.shutdown()


def describe(exc: BaseException) -> str:
    """An IMAP failure in one line (the server's words; our password is never in them)."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


class MailFetcher(ThreadService):
    """The ``channels`` service's e-mail listener: one connection to the support mailbox."""

    name = "email"

    def __init__(self, settings: EmailSettings, intake: MailIntake, *, retry_after: float = 300.0,
                 backoff: Backoff | None = None) -> None:
        super().__init__()
        self.settings, self.intake, self.retry_after = settings, intake, retry_after
        self.backoff = backoff or Backoff(1.0, 60.0)
        # UID -> when it may be tried again; kept for one connection (UIDs belong to its selected mailbox).
        self.failed: dict[int, float] = {}
        # Logins that worked, and connections lost or refused: what an operator (and a test) can watch.
        self.connections = 0
        self.lost = 0
        self.stored = 0

    def run(self, stop: threading.Event) -> None:
        where = f"{self.settings.imap_user}@{self.settings.imap_host}:{self.settings.imap_port}/{self.settings.mailbox}"
        while not stop.is_set():
            try:
                box = connect(self.settings)
            except IMAP_ERRORS as exc:
                self._pause(stop, f"e-mail: cannot log in to {where}: {describe(exc)}")
                continue
            self.connections += 1
            self.failed.clear()
            self._announced(box)  # SELECT's counts: the first round reads everything anyway
            log.info("e-mail: reading %s", where)
            try:
                self.serve(box, stop)
            except IMAP_ERRORS as exc:
                self._pause(stop, f"e-mail: lost {where}: {describe(exc)}")
            finally:
                close(box)

    def _pause(self, stop: threading.Event, said: str) -> None:
        self.lost += 1
        seconds = self.backoff.next()
        log.warning("%s; trying again in %.1fs", said, seconds)
        stop.wait(seconds)

    def serve(self, box: BaseMailBox, stop: threading.Event) -> None:
        """Rounds until stopped, waiting between them; raises what the connection raises."""
        idle = self.settings.idle and "IDLE" in box.client.capabilities
        while not stop.is_set():
            full = self.fetch_round(box) >= self.settings.fetch_batch
            self.backoff.reset()  # a whole round worked: the server is back
            if full or self._announced(box):
                continue  # more are waiting, or arrived during the round
            if idle:
                self._idle(box, stop)
            else:
                stop.wait(self.settings.poll_seconds)

    def fetch_round(self, box: BaseMailBox) -> int:
        """Store up to ``fetch_batch`` waiting mails, then mark the stored ones; how many were looked at."""
        now = time.monotonic()
        waiting = [int(u) for u in box.uids("ALL" if self.settings.processed_folder else "UNSEEN")]
        due = [uid for uid in sorted(waiting) if self.failed.get(uid, 0.0) <= now][:self.settings.fetch_batch]
        if not due:
            return 0
        sizes = self._sizes(box, due)
        limit = self.settings.max_message_bytes
        small = [uid for uid in due if sizes.get(uid, 0) <= limit]
        large = [uid for uid in due if sizes.get(uid, 0) > limit]
        done = [uid for uid, raw in self._download(box, small, "BODY.PEEK[]") if self._store(uid, raw)]
        done += [uid for uid, raw in self._download(box, large, "BODY.PEEK[HEADER]")
                 if self._store(uid, raw, too_large=sizes[uid])]
        self._mark(box, done)
        return len(due)

    def drain(self, box: BaseMailBox) -> int:
        """Rounds until none is left to try (a first start on a full mailbox; the benchmark)."""
        total = 0
        while looked := self.fetch_round(box):
            total += looked
        return total

    def _store(self, uid: int, raw: bytes, too_large: int | None = None) -> bool:
        try:
            self.intake.store(raw, too_large=too_large)
        except Exception:  # one bad mail (or a database hiccup) must not stop the mailbox
            self.failed[uid] = time.monotonic() + self.retry_after
            log.exception("e-mail: mail UID %s could not be stored; it stays unseen, next try in %.0fs",
                          uid, self.retry_after)
            return False
        self.failed.pop(uid, None)
        self.stored += 1
        return True

    def _mark(self, box: BaseMailBox, uids: Sequence[int]) -> None:
        if not uids:
            return
        uid_set = ",".join(str(u) for u in uids)
        folder = self.settings.processed_folder
        if folder:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            box.move(uid_set, folder)
            return
        typ, data = box.client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Seen)")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"STORE \\Seen refused: {data!r}")

    @staticmethod
    def _sizes(box: BaseMailBox, uids: Sequence[int]) -> dict[int, int]:
        typ, data = box.client.uid("FETCH", ",".join(str(u) for u in uids), "(UID RFC822.SIZE)")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"FETCH RFC822.SIZE refused: {data!r}")
        sizes: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            uid, size = FETCH_ITEM.search(line or b""), SIZE_ITEM.search(line or b"")
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    @staticmethod
    def _download(box: BaseMailBox, uids: Sequence[int], part: str) -> Iterator[tuple[int, bytes]]:
        """(UID, bytes) of each mail, in one command; ``BODY.PEEK`` leaves ``\\Seen`` alone."""
        if not uids:
            return
        typ, data = box.client.uid("FETCH", ",".join(str(u) for u in uids), f"(UID {part})")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"FETCH refused: {data!r}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                uid = FETCH_ITEM.search(item[0])
                if uid:
                    yield int(uid.group(1)), bytes(item[1])

    @staticmethod
    def _announced(box: BaseMailBox) -> bool:
        """New mail the server announced during the round (imaplib keeps those lines): IDLE would not
        announce it again, so without this look it would wait a whole ``idle_seconds``."""
        untagged = box.client.untagged_responses
        popped = [untagged.pop(name, None) for name in ("EXISTS", "RECENT")]  # both, always
        return any(value is not None for value in popped)

    def _idle(self, box: BaseMailBox, stop: threading.Event) -> None:
        """Wait in IDLE until new mail, ``idle_seconds`` (then the next round re-IDLEs) or stop."""
        box.idle.start()
        try:
            deadline = time.monotonic() + self.settings.idle_seconds
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                began = time.monotonic()
                lines = box.idle.poll(timeout=min(IDLE_SLICE, left))
                if any(line.startswith(b"* BYE") for line in lines):
                    raise ServerGone("the server said BYE")
                if any(line.endswith((b"EXISTS", b"RECENT")) for line in lines):
                    return
                if not lines and time.monotonic() - began < min(IDLE_SLICE, left) / 2:
                    # poll() only returns early with nothing when the socket was closed under it.
                    raise ServerGone("the server closed the connection")
        finally:
            box.idle.stop()
