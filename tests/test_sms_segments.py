"""SMS length counted exactly: GSM 03.38 7-bit (extension characters count two) against UCS-2 (Chinese,
emoji outside the BMP count two), one SMS or parts; and the page's counter (segments.js, run in
Chromium) agrees with the Python count on every string here."""
from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.text.segments import GSM7, UCS2, measure

SEGMENTS_JS = Path(__file__).resolve().parent.parent / "web" / "static" / "segments.js"

# (text, encoding, units, SMS)
CASES = [
    ("", GSM7, 0, 0),
    ("Hello, your engineer arrives at 14:00.", GSM7, 38, 1),
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("Price: 5€ [promo] {x} ^_^ ~ | \\", GSM7, 41, 1),  # € [ ] { } ^ ^ ~ | \ count two each
    ("€" * 80, GSM7, 160, 1),
    ("€" * 81, GSM7, 162, 2),
    # 152 plain + one extension character: the pair does not fit part one's last septet, so it moves on.
    ("a" * 152 + "€" + "a" * 10, GSM7, 164, 2),
    ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),
    ("Ça coûte 10£, señor! ¿Qué?", UCS2, 26, 1),  # û is not in GSM 03.38: the whole text goes UCS-2
    ("Ça a coûté", UCS2, 10, 1),
    ("Ça a coute 10£ à Ñandú", UCS2, 22, 1),
    ("Ça a coute 10£ à Ñandu ÄÖÜäöüßÉé", GSM7, 32, 1),
    ("您好，您的工单已处理。", UCS2, 11, 1),
    ("谢" * 70, UCS2, 70, 1),
    ("谢" * 71, UCS2, 71, 2),
    ("谢" * 134, UCS2, 134, 2),
    ("谢" * 135, UCS2, 135, 3),
    ("Thanks 👍", UCS2, 9, 1),  # the emoji is a surrogate pair: two units
    ("😀" * 35, UCS2, 70, 1),
    ("😀" * 36, UCS2, 72, 2),
    ("谢" * 66 + "😀" + "谢", UCS2, 69, 1),
    ("谢" * 66 + "😀" + "谢" * 3, UCS2, 71, 2),  # part one would end mid-pair: the emoji starts part two
    ("a" * 66 + "😀" + "a" * 66 + "😀", UCS2, 136, 3),
    ("line one\nline two\r\n", GSM7, 19, 1),
    ("form\ffeed", GSM7, 10, 1),
    ("tab\there", UCS2, 8, 1),  # a tab is not in the GSM alphabet
    ("“quoted”", UCS2, 8, 1),  # curly quotes neither
]


@pytest.mark.parametrize(("text", "encoding", "units", "count"), CASES)
def test_python_counts(text: str, encoding: str, units: int, count: int) -> None:
    measured = measure(text)
    assert (measured.encoding, measured.units, measured.count) == (encoding, units, count)
    assert measured.single_limit == (160 if encoding == GSM7 else 70)
    assert measured.fits_one == (count <= 1)


def test_the_pages_counter_agrees_with_python(browser) -> None:
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=SEGMENTS_JS.read_text(encoding="utf-8"))
    texts = [text for text, *_ in CASES] + ["Mixed 中文 and English €", "a" * 500, "谢" * 400 + "😀" * 7]
    got = page.evaluate("texts => texts.map(t => window.SmsSegments.measure(t))", texts)
    for text, js in zip(texts, got, strict=True):
        py = measure(text)
        assert (js["encoding"], js["units"], js["count"], js["limit"]) == (
            py.encoding, py.units, py.count, py.single_limit), text[:40]
    page.close()
