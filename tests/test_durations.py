"""Durations read as durations in both languages ("3 min 20 s", "22 min"), never as times of day ("22:00")."""
from __future__ import annotations

import pytest

from callcenter.i18n import translations
from callcenter.i18n.durations import duration


@pytest.mark.parametrize(("seconds", "english", "chinese"), [
    (None, "—", "—"), (0, "0 s", "0 秒"), (45.4, "45 s", "45 秒"), (60, "1 min", "1 分钟"),
    (200, "3 min 20 s", "3 分 20 秒"), (300, "5 min", "5 分钟"), (1320, "22 min", "22 分钟"),
    (3900, "1 h 05 min", "1 小时 05 分钟"), (3 * 86400 + 4 * 3600, "3 d 4 h", "3 天 4 小时"),
])
def test_duration_in_each_language(seconds, english, chinese) -> None:
    assert duration(seconds) == english
    assert duration(seconds, translations("en").gettext) == english
    assert duration(seconds, translations("zh").gettext) == chinese


def test_the_page_filter_says_it_in_the_readers_language(app) -> None:
    from flask import render_template_string

    for lang, expected in (("en", "22 min"), ("zh", "22 分钟")):
        with app.test_request_context(headers={"Accept-Language": lang}):
            assert render_template_string("{{ 1320|duration }}") == expected
