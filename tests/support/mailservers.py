"""Real mail servers for the e-mail channel's tests and benchmark: a private Dovecot (IMAP) and aiosmtpd (SMTP).

Dovecot runs from its own config in a temporary directory, on a free port of
127.0.0.1, with no TLS and plain passwords.  Started by root, its login
process must not run as root and no mailbox may belong to uid 0, so the
package's own ``dovenull`` and ``dovecot`` users take those parts (and own
the mail directory); started by anyone else, every part runs as that user.
Each test gets a fresh account (a passwd-file of its own, read at its
first login), so one server serves a whole module.
"""
from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from imap_tools import AND, BaseMailBox, MailBoxUnencrypted
from pydantic import SecretStr

from callcenter.channels.settings import EmailSettings
from tests.support.summary_world import Inbox, free_port, smtp_server

__all__ = ["Account", "Dovecot", "Inbox", "SMTPInbox", "dovecot_available", "smtp_inbox"]

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "s3cret-mailbox"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_uid = {mail_user}
mail_gid = {mail_group}
mail_location = maildir:{root}/mail/%u
# A test writes mail and reads it at once: no fsync, no lock waits worth having here.
mail_fsync = never
passdb {{
  driver = passwd-file
  # One passwd-file per account: Dovecot looks a changed file up again only a second later.
  args = scheme=PLAIN {root}/users/%u
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (a daemon's parent may be slow to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _end(pid: int) -> None:
    """SIGTERM, then SIGKILL after a few seconds; returns once it is gone (one of ours, by its id)."""
    deadline = time.monotonic() + 5
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _running(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _running(pid):
            time.sleep(0.02)


def dovecot_available() -> bool:
    return Path(DOVECOT).is_file()


def _users() -> tuple[str, str, str]:
    """(login user, internal user, mail user) for whoever starts Dovecot."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, me
    return "dovenull", "dovecot", "dovecot"


@dataclass(frozen=True)
class Account:
    """One mailbox on the server and the settings that read it."""

    server: Dovecot
    user: str
    password: str = PASSWORD

    def settings(self, **changes: object) -> EmailSettings:
        base = EmailSettings(enabled=True, address=self.user, imap_host="127.0.0.1", imap_port=self.server.port,
                             imap_ssl=False, imap_user=self.user, imap_password=SecretStr(self.password),
                             poll_seconds=0.5, idle_seconds=5.0, message_id_domain="test.callcenter.localhost")
        return base.model_copy(update=changes)

    @contextlib.contextmanager
    def imap(self, folder: str = "INBOX") -> Iterator[BaseMailBox]:
        with MailBoxUnencrypted("127.0.0.1", self.server.port, timeout=10).login(self.user, self.password,
                                                                                 folder) as box:
            yield box

    def append(self, *raws: bytes, folder: str = "INBOX") -> None:
        with self.imap(folder) as box:
            for raw in raws:
                box.append(raw, folder)

    def flags(self, folder: str = "INBOX") -> dict[str, tuple[str, ...]]:
        """Message-ID -> flags of every message in the folder."""
        with self.imap(folder) as box:
            return {str(m.headers.get("message-id", ("",))[0]).strip(): m.flags
                    for m in box.fetch(AND(all=True), mark_seen=False, headers_only=True, bulk=True)}

    def unseen(self) -> int:
        with self.imap() as box:
            return len(box.uids(AND(seen=False)))


class Dovecot:
    """A private Dovecot: ``start``, ``stop`` (a real shutdown, connections dropped) and ``start`` again."""

    def __init__(self) -> None:
        # Not under pytest's tmp (mode 0700): the mail user (``dovecot`` under root) must reach its maildirs.
        self.root = Path(tempfile.mkdtemp(prefix="callcenter-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        login_user, internal_user, self.mail_user = _users()
        self.mail_group = grp.getgrgid(pwd.getpwnam(self.mail_user).pw_gid).gr_name
        (self.root / "mail").mkdir()
        shutil.chown(self.root / "mail", self.mail_user, self.mail_group)
        (self.root / "users").mkdir()
        self.config = self.root / "dovecot.conf"
        self.config.write_text(CONFIG.format(root=self.root, port=self.port, login_user=login_user,
                                             internal_user=internal_user, mail_user=self.mail_user,
                                             mail_group=self.mail_group))

    def _run(self, *args: str) -> int:
        # Output to a file, not a pipe: the daemon keeps its inherited descriptors open for its whole life.
        with (self.root / "control.log").open("ab") as out:
            return subprocess.run([DOVECOT, "-c", str(self.config), *args], stdin=subprocess.DEVNULL,
                                  stdout=out, stderr=out, timeout=30, check=False).returncode

    def start(self) -> None:
        if self._run() != 0:
            raise RuntimeError(f"dovecot did not start: {(self.root / 'control.log').read_text()[-2000:]}")
        self._wait(listening=True)

    def stop(self) -> None:
        """A real shutdown, as a service manager does it: the master and every process it started end, so
        each client's connection is cut (Dovecot's own ``stop`` leaves running imap processes behind)."""
        pid_file = self.root / "run" / "master.pid"
        master = int(pid_file.read_text().strip()) if pid_file.exists() else None
        children = _children(master) if master is not None else []
        self._run("stop")
        for pid in [p for p in [master, *children] if p is not None]:
            _end(pid)
        self._wait(listening=False)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _wait(self, *, listening: bool) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                sock.settimeout(0.5)
                up = sock.connect_ex(("127.0.0.1", self.port)) == 0
            if up == listening:
                return
            time.sleep(0.02)
        raise RuntimeError(f"dovecot did not {'start' if listening else 'stop'}: {self.log()[-2000:]}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def account(self) -> Account:
        """A fresh, empty mailbox."""
        user = f"support-{uuid.uuid4().hex[:10]}@test.localhost"
        (self.root / "users" / user).write_text(f"{user}:{{PLAIN}}{PASSWORD}\n")
        return Account(self, user)


@contextlib.contextmanager
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.close()


class SMTPInbox(Inbox):
    """The SMTP side: keeps what it accepts, and answers RCPT for an address in ``refuse`` with that reply."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"


@contextlib.contextmanager
def smtp_inbox() -> Iterator[tuple[SMTPInbox, int]]:
    """A real SMTP server (aiosmtpd) on a free local port that can refuse addresses."""
    inbox = SMTPInbox()
    with smtp_server(inbox) as (_, port):
        yield inbox, port
