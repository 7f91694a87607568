"""AGI sessions as readable text: what the server captures from a real PBX
and what unit tests replay (``tests/fixtures/agi/*.agi``).

One line per protocol line, prefixed by who sent it::

    # lookup: a known customer calls the main line
    asterisk| agi_network_script: lookup
    asterisk|
    server| GET FULL VARIABLE "cc-sync-5f0c..."
    asterisk| 200 result=1 (cc-sync-5f0c...)
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

ASTERISK, SERVER = "asterisk", "server"
_counter = itertools.count(1)  # next() on a count is atomic under the GIL


@dataclass
class Transcript:
    lines: list[tuple[str, str]] = field(default_factory=list)
    comment: str = ""

    def tap(self, direction: str, line: str) -> None:
        """Channel's tap: '>' came from Asterisk, '<' went to it."""
        self.lines.append((ASTERISK if direction == ">" else SERVER, line))

    def dumps(self) -> str:
        head = [f"# {c}" for c in self.comment.splitlines()] if self.comment else []
        return "\n".join(head + [f"{who}| {text}".rstrip() for who, text in self.lines]) + "\n"

    @classmethod
    def loads(cls, text: str) -> Transcript:
        out = cls()
        comments = []
        for raw in text.splitlines():
            if raw.startswith("#"):
                comments.append(raw[1:].strip())
                continue
            if not raw.strip():
                continue
            who, sep, rest = raw.partition("|")
            if not sep or who not in (ASTERISK, SERVER):
                raise ValueError(f"not a transcript line: {raw[:60]!r}")
            out.lines.append((who, rest[1:] if rest.startswith(" ") else rest))
        out.comment = "\n".join(comments)
        return out

    def save(self, directory: Path, name: str) -> Path:
        n = next(_counter)
        directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        path = directory / f"{name}-{stamp}-{os.getpid()}-{n}.agi"
        path.write_text(self.dumps())
        return path
