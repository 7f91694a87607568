"""Everything a person sees exists in Simplified Chinese: every message in the code and templates is translated."""
from __future__ import annotations

import tomllib
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def test_every_message_has_a_chinese_translation() -> None:
    with (ROOT / "web/translations/zh/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh)
    wanted = {message for folder in ("web", "callcenter")
              for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder, METHODS)}
    singular = {m[0] if isinstance(m, tuple) else m for m in wanted}
    missing = sorted(m for m in singular if m and (m not in catalogue or not catalogue[m].string))
    assert len(singular) > 300
    assert missing == [], "add these to tools/zh.toml, then run tools/i18n.py"
    source = tomllib.loads((ROOT / "tools/zh.toml").read_text(encoding="utf-8"))
    assert sorted(m for m in singular if m and m not in source) == [], "tools/zh.toml is the catalogue's source"
