"""pyst2's ``AGI`` made fit for a threaded FastAGI server.

pyst2 0.5.1 was written for one script per process: its constructor installs
a SIGHUP handler (which raises outside the main thread), it prints debug to
stderr, trusts every header line, and treats EOF or Asterisk's ``HANGUP``
line as an unknown error.  We keep its command methods and exceptions and
replace the four places that talk to the socket:

* the header is read with a line and size limit (the server sets the read
  timeout), and the first value of a key wins;
* every command line is built by ``safe.command_line``;
* ``HANGUP``, ``511`` and EOF become ``AGIHangup``;
* ``sync`` resynchronises after the header: a caller name holding a newline
  can end Asterisk's header early, so we read until Asterisk echoes a
  random token and only then trust what comes back.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import BinaryIO

from asterisk.agi import AGI, AGIAppError, AGIHangup, AGIInvalidCommand, AGIResultHangup, AGIUnknownError

from ..pbx.values import MAX_VALUE
from . import safe

MAX_LINE = 65536  # a base64-encoded caller name stays far below this
MAX_HEADER_LINES = 100
_HEADER = re.compile(r"^(agi_[a-z0-9_]+):\s?(.*)$")
_RESPONSE = re.compile(r"^(\d{3})[ -](.*)$")

Tap = Callable[[str, str], None]


class ProtocolError(AGIUnknownError):
    """The peer sent something that is not AGI (or sent too much of it)."""


class Channel(AGI):
    """One AGI session over a socket's binary streams."""

    def __init__(self, rfile: BinaryIO, wfile: BinaryIO, tap: Tap | None = None) -> None:
        # Deliberately not AGI.__init__: no signal handler, no stderr chatter.
        self.stdin = rfile
        self.stdout = wfile
        self.stderr = None
        self._got_sighup = False
        self._tap = tap
        self.env: dict[str, str] = {}
        self.suspicious_header = False
        self.commands_sent = 0

    # -- reading -------------------------------------------------------------------
    def _readline(self) -> str:
        raw = self.stdin.readline(MAX_LINE)
        if not raw:
            raise AGIHangup("connection closed by Asterisk")
        if len(raw) >= MAX_LINE and not raw.endswith(b"\n"):
            raise ProtocolError(0, "line too long")
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if self._tap:
            self._tap(">", line)
        return line

    def _get_agi_env(self) -> None:
        for _ in range(MAX_HEADER_LINES):
            line = self._readline()
            if line == "":
                return
            m = _HEADER.match(line)
            if not m or m.group(1) in self.env:
                self.suspicious_header = True
                continue
            self.env[m.group(1)] = m.group(2).strip()
        raise ProtocolError(0, "AGI header too long")

    read_header = _get_agi_env

    def sync(self) -> None:
        """Read until Asterisk echoes a fresh token: responses line up after."""
        token = safe.sync_token(os.urandom(8).hex())
        self.send_command("GET FULL VARIABLE", safe.quote(token))
        expected = f"200 result=1 ({token})"
        for _ in range(MAX_HEADER_LINES + 1):
            line = self._readline()
            if line == expected:
                return
            # Even "HANGUP" here may be the caller's text: only EOF ends it.
            self.suspicious_header = True
        raise ProtocolError(0, "could not synchronise with Asterisk")

    def get_result(self, stdin: object = None) -> dict[str, tuple[str, str]]:
        line = self._readline()
        if line == "HANGUP":
            # FastAGI's notice that the caller left; the real answer follows.
            raise AGIResultHangup("caller hung up")
        m = _RESPONSE.match(line)
        if not m:
            raise ProtocolError(0, f"not an AGI response: {line[:60]!r}")
        code, response = int(m.group(1)), m.group(2)
        if code == 200:
            return self._parse_200(response)
        if code == 511:
            raise AGIResultHangup("command refused on a dead channel")
        if code == 510:
            raise AGIInvalidCommand(response)
        if code == 520:
            self._skip_usage()
            raise AGIInvalidCommand("usage error")
        raise AGIUnknownError(code, "unhandled response")

    def _parse_200(self, response: str) -> dict[str, tuple[str, str]]:
        result: dict[str, tuple[str, str]] = {"result": ("", "")}
        m = re.match(r"result=(\S*)(?:\s+\((.*)\))?", response)
        if m:
            value, data = m.group(1), m.group(2) or ""
            result["result"] = (value, data)
            if data == "hangup":
                raise AGIResultHangup("caller hung up during the command")
            if value == "-1":
                raise AGIAppError("command failed or caller hung up")
        return result

    def _skip_usage(self) -> None:
        for _ in range(200):
            if self._readline().startswith("520"):
                return

    # -- writing -------------------------------------------------------------------
    def _quote(self, string: object) -> safe.Quoted:  # pyst2 calls this for values
        return safe.quote(string)

    def send_command(self, command: str, *args: object) -> None:
        line = safe.command_line(command, *args)
        if self._tap:
            self._tap("<", line.decode().rstrip("\n"))
        self.stdout.write(line)
        self.stdout.flush()
        self.commands_sent += 1

    def execute(self, command: str, *args: object) -> dict[str, tuple[str, str]]:
        try:
            self.send_command(command, *args)
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise AGIHangup("connection closed by Asterisk") from exc
        return self.get_result()

    # -- what handlers use ---------------------------------------------------------
    def read(self, name: str, limit: int = MAX_VALUE) -> str:
        """A channel variable or function value, however hostile its content."""
        answer = self.execute("GET FULL VARIABLE", safe.quote(safe.read_expression(name)))
        return safe.decode(answer["result"][1], limit)

    def set(self, name: str, value: str | int) -> None:
        self.execute("SET VARIABLE", safe.quote(safe.variable_name(name)), safe.quote(value))

    def play(self, prompt: str, escape: str = "") -> str:
        """Play a prompt; the digit that interrupted it, or ''.

        A prompt that cannot be played (file missing) is skipped, not fatal:
        if the caller hung up instead, the next command says so.
        """
        try:
            return str(self.stream_file(prompt, escape_digits=escape))
        except AGIHangup:
            raise
        except AGIAppError:
            return ""

    def ask(self, prompt: str, timeout_ms: int, max_digits: int) -> str:
        """Play a prompt and collect up to ``max_digits`` DTMF digits."""
        digits = self.get_data(prompt, timeout=timeout_ms, max_digits=max_digits)
        return digits if digits.isdigit() else ""

    def goto(self, context: str, exten: str = "s", priority: int = 1) -> None:
        self.appexec("Goto", f"{context},{exten},{priority}")
