"""Reading an agents CSV as offices save them: Excel's UTF-8 with a BOM, plain UTF-8, GB18030 (Chinese
Windows), UTF-16 ("Unicode text"); commas, semicolons or tabs; English or Chinese column names.

Limits keep a mistaken upload (a spreadsheet of calls, a binary) from
tying up the server: ``MAX_BYTES`` and ``MAX_ROWS``.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..i18n import N_, Refusal

MAX_BYTES = 300 * 1024
MAX_ROWS = 2000
ENCODINGS = ("auto", "utf-8", "gb18030")
COLUMNS = ("username", "display_name", "email", "role", "team", "sip_interface", "extension", "skills",
           "languages", "capacity", "seniority", "queues")
# Column names Chinese offices write (and a few English ones people use).
ALIASES = {"用户名": "username", "账号": "username", "姓名": "display_name", "名称": "display_name",
           "name": "display_name", "邮箱": "email", "电子邮件": "email", "e-mail": "email", "角色": "role",
           "团队": "team", "小组": "team", "班组": "team", "话机": "sip_interface", "座席电话": "sip_interface",
           "desk_phone": "sip_interface", "分机": "extension", "分机号": "extension", "技能": "skills",
           "语言": "languages", "容量": "capacity", "资历": "seniority", "队列": "queues"}


class CsvError(Refusal):
    """The file as a whole cannot be read (encoding, size, columns); nothing was looked at line by line."""


@dataclass(frozen=True)
class Sheet:
    columns: tuple[str, ...]
    rows: list[tuple[int, dict[str, str]]]  # (line number, column -> cell)


def size_text() -> str:
    """The largest file taken, as people read a size."""
    return f"{MAX_BYTES // 1024} kB"


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The file's text and the encoding it was read with."""
    if len(data) > MAX_BYTES:
        raise CsvError(N_("The file is larger than %(size)s: split it."), field="file", code="too_large",
                       size=size_text())
    if encoding not in ENCODINGS:
        raise CsvError(N_("Choose one of the encodings: %(choices)s."), field="encoding", code="bad_encoding",
                       choices=", ".join(ENCODINGS))
    tries = [encoding] if encoding != "auto" else _guesses(data)
    for name in tries:
        try:
            return data.decode(name), "utf-8" if name == "utf-8-sig" else name
        except UnicodeDecodeError:
            continue
    raise CsvError(N_("The file is not in %(encoding)s: save it as “CSV UTF-8”, or choose its encoding."),
                   field="encoding", code="undecodable", encoding=" / ".join(tries))


def _guesses(data: bytes) -> list[str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return ["utf-8-sig"]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ["utf-16"]
    return ["utf-8", "gb18030"]  # valid UTF-8 is almost never meant as GB18030


def read(text: str) -> Sheet:
    """The header and each non-empty line; refused if a column is unknown or username is missing."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        columns = tuple(_column(name) for name in header)
        unknown = [h for h, c in zip(header, columns, strict=True) if c not in COLUMNS]
        if unknown:
            raise CsvError(N_("Unknown columns: %(names)s. The columns are %(known)s."), field="file",
                           code="unknown_columns", names=", ".join(unknown)[:120], known=", ".join(COLUMNS))
        if "username" not in columns:
            raise CsvError(N_("The first line must name the columns, username among them."), field="file",
                           code="no_username")
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvError(N_("More than %(n)s lines: split the file."), field="file", code="too_many_rows",
                               n=MAX_ROWS)
            rows.append((reader.line_num, {c: v.strip() for c, v in zip(columns, cells, strict=False)}))
    except csv.Error as exc:
        raise CsvError(N_("Line %(line)s is not valid CSV."), field="file", code="bad_csv",
                       line=reader.line_num) from exc
    return Sheet(columns, rows)


def _column(name: str) -> str:
    key = name.strip().lower().replace(" ", "_")
    return ALIASES.get(key, ALIASES.get(name.strip(), key))
