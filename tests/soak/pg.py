"""A private PostgreSQL cluster for the soak, so stopping it for a minute harms nobody.

The machine's own server (127.0.0.1:5432) is shared with every other test
run; the soak's "stop PostgreSQL for 60 s" fault must never touch it.  This
one lives in a temporary folder on its own port and trusts local users.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("CALLCENTER_SOAK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port(preferred: int = 55432) -> int:
    for port in range(preferred, preferred + 50):  # the preferred port first
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for the soak's PostgreSQL")


class PrivatePostgres:
    """initdb + pg_ctl as the ``postgres`` system user (initdb refuses root)."""

    def __init__(self, port: int | None = None) -> None:
        # Under /tmp, not the caller's private (0700) folder: the server runs as ``postgres``.
        self.base = Path(tempfile.mkdtemp(prefix="callcenter-soak-pg-"))
        self.data = self.base / "pgdata"
        self.port = port or free_port()
        self.user = "postgres" if os.geteuid() == 0 else None

    @staticmethod
    def available() -> str | None:
        """Why this machine cannot run one, or None."""
        if not (PG_BIN / "initdb").exists():
            return f"{PG_BIN}/initdb not found (apt-get install postgresql)"
        return None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/callcenter"

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout, cwd="/")

    def init(self) -> None:
        if self.user:
            shutil.chown(self.base, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.base}'\nmax_connections = 300\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "callcenter")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def wait_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.running() and time.monotonic() < deadline:
            time.sleep(0.2)
