"""Asterisk's side of FastAGI sessions, for unit tests, fuzzing and the benchmark.

``Asterisk`` plays a channel over a real socket the way res_agi does: it
sends the ``agi_*`` header *raw* (a caller name holding a newline breaks it,
exactly as Asterisk 22 would), splits each command line with res_agi's
parse_args rules (quotes, backslash), answers the commands our handlers use,
and records every protocol violation it sees.  ``replay`` instead serves a
transcript captured from the lab PBX and checks the server says the same.
"""
from __future__ import annotations

import base64
import contextlib
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from callcenter.agi.server import FastAGIServer, serve_in_thread
from callcenter.agi.transcript import ASTERISK, Transcript

_READ = re.compile(r"^\$\{BASE64_ENCODE\(\$\{([A-Za-z_][A-Za-z0-9_]*(?:\([A-Za-z0-9_]*\))?)\}\)\}$")
_TOKEN = re.compile(r"cc-sync-[0-9a-f]+")
# Row ids differ between the captured database and the replaying one.
_ROW_IDS = re.compile(r'^(SET VARIABLE "(?:CC_CALLBACK_ID)") "\d+"$')
# Command -> (min, max) number of arguments after the command words.
ARITY = {
    "GET FULL VARIABLE": (1, 2), "GET VARIABLE": (1, 1), "SET VARIABLE": (2, 2),
    "STREAM FILE": (2, 3), "GET DATA": (1, 3), "EXEC": (1, 2), "RECORD FILE": (4, 7),
    "ANSWER": (0, 0), "NOOP": (0, 1), "HANGUP": (0, 1),
}


def parse_args(line: str) -> list[str]:
    """res_agi.c parse_args: whitespace splits, "..." groups, \\ escapes."""
    args: list[str] = []
    cur: list[str] = []
    quoted = escaped = started = False
    for ch in line:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = started = True
        elif ch == '"':
            quoted = not quoted
            started = True
        elif ch in " \t" and not quoted:
            if started:
                args.append("".join(cur))
            cur, started = [], False
        else:
            cur.append(ch)
            started = True
    if started:
        args.append("".join(cur))
    return args


def split_command(args: list[str]) -> tuple[str, list[str]]:
    for words in (3, 2, 1):
        name = " ".join(a.upper() for a in args[:words])
        if name in ARITY:
            return name, args[words:]
    return " ".join(args[:2]).upper(), args[2:]


def header(script: str, variables: dict[str, str], uniqueid: str = "1700000000.1") -> list[str]:
    """The header res_agi sends, values raw as Asterisk writes them."""
    return [
        "agi_network: yes", f"agi_network_script: {script}",
        f"agi_request: agi://127.0.0.1:4573/{script}", "agi_channel: PJSIP/trunk-00000001",
        f"agi_language: {variables.get('CHANNEL(language)', 'en')}", "agi_type: PJSIP",
        f"agi_uniqueid: {uniqueid}", "agi_version: 22.5.2",
        f"agi_callerid: {variables.get('CALLERID(num)', 'unknown')}",
        f"agi_calleridname: {variables.get('CALLERID(name)', 'unknown')}",
        "agi_callingpres: 0", "agi_callingani2: 0", "agi_callington: 0", "agi_callingtns: 0",
        "agi_dnid: 100", "agi_rdnis: unknown", "agi_context: cc-inbound", "agi_extension: s",
        "agi_priority: 7", "agi_enhanced: 0.0", "agi_accountcode: ", "agi_threadid: 140001",
    ]


@dataclass
class PeerResult:
    lines: list[str] = field(default_factory=list)  # every line the server sent
    commands: list[tuple[str, list[str]]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    played: list[str] = field(default_factory=list)
    goto: str | None = None
    violations: list[str] = field(default_factory=list)
    closed_by_server: bool = False

    def sets(self) -> list[tuple[str, str]]:
        return [(a[0], a[1]) for c, a in self.commands if c == "SET VARIABLE"]


class Asterisk:
    """One scripted channel: ``keys`` are what the caller types, in order,
    one entry per GET DATA ("" = no key before the timeout)."""

    def __init__(self, script: str, variables: dict[str, str] | None = None,
                 keys: list[str] | None = None, hangup_after: int | None = None,
                 header_lines: list[str] | None = None, timeout: float = 15.0) -> None:
        self.script = script
        self.vars = {"CC_PBX": "lab", "CHANNEL(linkedid)": "1700000000.1", **(variables or {})}
        self.keys = list(keys or [])
        self.hangup_after = hangup_after
        self.header_lines = header_lines
        self.timeout = timeout
        self.result = PeerResult(variables=self.vars)

    def run(self, port: int) -> PeerResult:
        with socket.create_connection(("127.0.0.1", port), timeout=self.timeout) as sock:
            rfile, wfile = sock.makefile("rb"), sock.makefile("wb")
            lines = self.header_lines or header(self.script, self.vars)
            wfile.write(("\n".join(lines) + "\n\n").encode("utf-8", "surrogatepass"))
            wfile.flush()
            hung_up = False
            while True:
                raw = rfile.readline()
                if not raw:
                    self.result.closed_by_server = True
                    return self.result
                line = raw.decode("utf-8", "replace")
                if not line.endswith("\n"):
                    self.result.violations.append(f"unterminated line {line!r}")
                line = line.rstrip("\n")
                self.result.lines.append(line)
                if self.hangup_after is not None and len(self.result.lines) > self.hangup_after:
                    reply = "511 Command Not Permitted on a dead channel or intercepted channel"
                    if not hung_up:
                        reply, hung_up = "HANGUP", True
                else:
                    reply = self.answer(line)
                wfile.write((reply + "\n").encode())
                wfile.flush()

    def answer(self, line: str) -> str:
        if "\r" in line:
            self.result.violations.append(f"CR in command {line!r}")
        command, args = split_command(parse_args(line))
        self.result.commands.append((command, args))
        low, high = ARITY.get(command, (-1, -1))
        if not low <= len(args) <= high:
            self.result.violations.append(f"bad command {line!r}")
            return "510 Invalid or unknown command"
        reply: str = getattr(self, "_" + command.lower().replace(" ", "_"))(args)
        return reply

    def _get_full_variable(self, args: list[str]) -> str:
        expr = args[0]
        m = _READ.match(expr)
        if m:
            value = base64.b64encode(self.vars.get(m.group(1), "").encode()).decode()
        elif "$" in expr:
            self.result.violations.append(f"unexpected expression {expr!r}")
            value = ""
        else:
            value = expr
        return f"200 result=1 ({value})"

    def _get_variable(self, args: list[str]) -> str:
        value = self.vars.get(args[0])
        return "200 result=0" if value is None else f"200 result=1 ({value})"

    def _set_variable(self, args: list[str]) -> str:
        self.vars[args[0]] = args[1]
        return "200 result=1"

    def _stream_file(self, args: list[str]) -> str:
        self.result.played.append(args[0])
        return "200 result=0 endpos=8000"

    def _get_data(self, args: list[str]) -> str:
        self.result.played.append(args[0])
        typed = self.keys.pop(0) if self.keys else ""
        limit = int(args[2]) if len(args) > 2 else 255
        return f"200 result={typed}" if len(typed) >= limit else f"200 result={typed} (timeout)"

    def _exec(self, args: list[str]) -> str:
        if args[0].lower() == "goto":
            self.result.goto = args[1] if len(args) > 1 else ""
        return "200 result=0"

    def _record_file(self, args: list[str]) -> str:
        self.result.played.append(f"record:{args[0]}")
        return "200 result=35 (dtmf) endpos=16000"

    def _answer(self, args: list[str]) -> str:
        return "200 result=0"

    _noop = _hangup = _answer


def replay(port: int, transcript: Transcript, timeout: float = 10.0) -> list[str]:
    """Serve a captured session; return how the server's lines differed."""
    problems: list[str] = []
    token = ""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        rfile, wfile = sock.makefile("rb"), sock.makefile("wb")
        for who, text in transcript.lines:
            if who == ASTERISK:
                wfile.write((_TOKEN.sub(token, text) if token else text).encode() + b"\n")
                wfile.flush()
                continue
            got = rfile.readline().decode("utf-8", "replace").rstrip("\n")
            found = _TOKEN.search(got)
            if found:
                token = found.group(0)
            if _normal(got) != _normal(text):
                problems.append(f"expected {text!r}, got {got!r}")
                break
        extra = rfile.readline()
        if extra:
            problems.append(f"server sent more than the capture: {extra!r}")
    return problems


def _normal(line: str) -> str:
    return _ROW_IDS.sub(r'\1 "*"', _TOKEN.sub("cc-sync-*", line))


@contextlib.contextmanager
def running_server(settings: Any, session_factory: Any, port: int = 0,
                   knowledge: Any = None, incidents: Any = None, segments: Any = None) -> Iterator[FastAGIServer]:
    server = FastAGIServer(settings, session_factory, address=("127.0.0.1", port), knowledge=knowledge,
                           incidents=incidents, segments=segments)
    thread = serve_in_thread(server)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def settled(server: FastAGIServer) -> None:
    """Wait for every session to finish, writes after the hang-up included."""
    assert wait_until(lambda: server.sessions() == 0, 10), "sessions still running"


def wait_until(predicate: Any, timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
