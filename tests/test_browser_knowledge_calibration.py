"""The calibration page in Chromium: "Calibrate now" shows the job's progress and then the new fit; moving the
threshold slider changes the precision and coverage shown, and the mark on the chart follows it."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Calibration
from tests import kbdata

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser

THRESHOLD_MARK = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('chart-thresholds'));
  const marks = chart.getOption().series[0].markLine.data;
  return marks[marks.length - 1].xAxis;
}"""


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def test_calibrate_then_move_the_threshold_slider(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    with transaction(live_container.session_factory) as s:
        kbdata.load(s, live_container.articles)
    page = browser.new_page(locale="en-US", viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, live_server, "sue", PASSWORD)
    page.goto(f"{live_server}/admin/knowledge/calibration")
    assert page.is_visible("#not-calibrated")

    # "Calibrate now": the page shows the job waiting, the worker runs it, the page reloads with the fit.
    with page.expect_navigation():
        page.click("#calibrate-now")
    assert "Waiting for the background worker" in page.inner_text(".calibration-job .job-message")
    assert live_container.background().run_once()
    page.wait_for_selector("#calibration-summary", timeout=15000)
    assert not page.is_visible("#not-calibrated") and page.locator(".calibration-job").count() == 0
    with live_container.session_factory() as s:
        row = s.scalars(select(Calibration)).one()
        table: list[Any] = row.table
    assert page.inner_text("#pairs") == str(row.positives + row.negatives)
    page.wait_for_selector("#chart-reliability canvas")
    page.wait_for_selector("#chart-thresholds canvas")

    # At the default threshold (0.75) the figures are the table's.
    by = {round(r[0], 2): r for r in table}
    start = by[0.75]
    assert page.input_value("#threshold") == "0.75" and page.inner_text("#threshold-value") == "0.75"
    assert page.inner_text("#coverage") == _pct(start[2])
    # Slide to the threshold whose coverage differs most from the default's, with the keyboard like a person.
    target = max(by, key=lambda t: (abs(by[t][2] - start[2]), -t))
    assert by[target][2] != start[2], table  # the fixture's fit must give the slider something to show
    steps = round((0.75 - target) / 0.05)
    page.focus("#threshold")
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowLeft" if steps > 0 else "ArrowRight")
    assert page.inner_text("#threshold-value") == f"{target:.2f}"
    assert page.inner_text("#coverage") == _pct(by[target][2])
    assert page.inner_text("#precision") == (_pct(by[target][1]) if by[target][2] else "—")
    assert abs(page.evaluate(THRESHOLD_MARK) - target) < 1e-9  # the chart's mark moved with the slider
    screenshot(page, "knowledge-calibration-slider")
    assert problems == []
