"""Where each key of a form's TOML text is, so a schema error can point at its line.

tomllib gives values, not positions.  This scanner walks a text tomllib has
already accepted and records the line of every key path, in the shape
pydantic reports errors: ``("fields", 2, "choices", 0, "label") -> 31``.
It assumes valid TOML; it is not a parser.
"""
from __future__ import annotations

import bisect
import re

Path = tuple[str | int, ...]
BARE = re.compile(r"[A-Za-z0-9_-]+")
# A scalar runs to the next comma, bracket, newline or comment (datetimes hold spaces).
SCALAR_END = re.compile(r"[,\]}\n#]")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0
        self.newlines = [n for n, c in enumerate(text) if c == "\n"]
        self.lines: dict[Path, int] = {(): 1}

    def line(self, at: int | None = None) -> int:
        return bisect.bisect_right(self.newlines, self.i - 1 if at is None else at - 1) + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.i:self.i + n]

    def skip(self, newlines: bool) -> None:
        """Past blanks and comments (and newlines, inside arrays or between statements)."""
        while self.i < len(self.text):
            c = self.text[self.i]
            if c == "#":
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end < 0 else end
            elif c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            else:
                return

    def string(self) -> str:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            end = self.text.find(quote * 3, self.i + 3)
            while self.text[end + 3:end + 4] == quote:  # up to two quotes may end the string's content
                end += 1
            self.i = end + 3
            return ""
        j = self.i + 1
        while self.text[j] != quote:
            j += 2 if quote == '"' and self.text[j] == "\\" else 1
        raw, self.i = self.text[self.i + 1:j], j + 1
        return raw  # a quoted key with escapes is found by its spelling: good enough for a line number

    def key(self) -> tuple[str, ...]:
        parts = []
        while True:
            self.skip(False)
            if self.peek() in ("'", '"'):
                parts.append(self.string())
            else:
                found = BARE.match(self.text, self.i)
                if found is None:
                    return tuple(parts)
                parts.append(found.group())
                self.i = found.end()
            self.skip(False)
            if self.peek() != ".":
                return tuple(parts)
            self.i += 1

    def value(self, path: Path) -> None:
        c = self.peek()
        if c == "[":
            self.array(path)
        elif c == "{":
            self.inline(path)
        elif c in ("'", '"'):
            self.string()
        else:
            found = SCALAR_END.search(self.text, self.i)
            self.i = len(self.text) if found is None else found.start()

    def array(self, path: Path) -> None:
        self.i += 1
        n = 0
        while True:
            self.skip(True)
            if self.peek() == "]":
                self.i += 1
                return
            self.lines.setdefault((*path, n), self.line())
            self.value((*path, n))
            n += 1
            self.skip(True)
            if self.peek() == ",":
                self.i += 1

    def inline(self, path: Path) -> None:
        self.i += 1
        while True:
            self.skip(False)
            if self.peek() == "}":
                self.i += 1
                return
            self.pair(path)
            self.skip(False)
            if self.peek() == ",":
                self.i += 1

    def mark(self, path: Path, at: int) -> None:
        """``path`` and each table on the way to it (``a.b.c`` defines ``a`` and ``a.b``) is at line ``at``."""
        for n in range(1, len(path) + 1):
            self.lines.setdefault(path[:n], at)

    def pair(self, table: Path) -> None:
        at = self.line()
        path = table + self.key()
        self.mark(path, at)
        self.skip(False)
        self.i += 1  # "="
        self.skip(False)
        self.value(path)


def key_lines(text: str) -> dict[Path, int]:
    """Key path -> line number (1-based) for a text tomllib accepts."""
    s = _Scanner(text)
    table: Path = ()
    arrays: dict[tuple[str, ...], int] = {}  # [[header]] -> the index of its current table
    while True:
        s.skip(True)
        if s.i >= len(s.text):
            return s.lines
        if s.peek() != "[":
            s.pair(table)
            continue
        at, many = s.line(), s.peek(2) == "[["
        s.i += 2 if many else 1
        keys = s.key()
        s.i += 2 if many else 1
        if many:
            arrays[keys] = arrays.get(keys, -1) + 1
            for nested in [k for k in arrays if len(k) > len(keys) and k[:len(keys)] == keys]:
                del arrays[nested]  # a new parent table starts its nested arrays afresh
        table = _resolve(keys, arrays)
        s.mark(table, at)


def _resolve(keys: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> Path:
    """A header's keys as a concrete path: each array of tables on the way adds its current index."""
    path: list[str | int] = []
    for n in range(len(keys)):
        path.append(keys[n])
        if keys[:n + 1] in arrays:
            path.append(arrays[keys[:n + 1]])
    return tuple(path)


def line_of(lines: dict[Path, int], loc: Path) -> int:
    """The line of ``loc``, or of its nearest enclosing key that the text spells out.

    A part the text never spells (the tag pydantic puts in a discriminated union's path:
    ``("then", 0, "set_priority", "value")``) is passed over."""
    spelled: Path = ()
    for part in loc:
        if (*spelled, part) in lines or not isinstance(part, str) or part == loc[-1]:
            spelled += (part,)
    if spelled != loc and spelled in lines:
        return lines[spelled]
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return 1
