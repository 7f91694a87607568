"""Refresh the message catalogue and apply the Simplified Chinese translations.

Usage: .venv/bin/python tools/i18n.py   (then commit web/translations/)
The translations live in tools/zh.toml: msgid = "译文".  Messages come from the web's templates and
code, and from the services' ``N_`` marks (callcenter.i18n), which the web translates where it shows them.
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "web/translations/messages.pot"
PO = ROOT / "web/translations/zh/LC_MESSAGES/messages.po"
BIN = Path(sys.executable).parent


def main() -> int:
    subprocess.run([BIN / "pybabel", "extract", "-F", ROOT / "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "--no-location", "-o", POT, ROOT / "web", ROOT / "callcenter"], check=True,
                   capture_output=True)
    with POT.open("rb") as f:
        template = read_po(f)
    known = tomllib.loads((ROOT / "tools/zh.toml").read_text())
    missing = []
    for msg in template:
        if msg.id:
            # zh.toml keys are single msgids; a plural message (a tuple of ids) has no entry there.
            msg.string = known.get(msg.id, "") if isinstance(msg.id, str) else ""
            if not msg.string:
                missing.append(msg.id)
    template.locale = "zh"
    template.fuzzy = False
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, template)
    for m in missing:
        print(f"untranslated: {m!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
