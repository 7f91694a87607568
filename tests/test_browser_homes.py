"""The start pages in real Chromium: the admin's checklist on an empty database, and the agent's and the
supervisor's homes with their data, in English and Chinese (screenshots kept in test-artifacts/), with no
CSP violation or script error in the console."""
from __future__ import annotations

from typing import Any

import pytest

from callcenter.access import accounts
from callcenter.db import transaction

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in
from .test_homes import noon_zone, seed_day

pytestmark = pytest.mark.browser


def _page(browser: Any, base: str, who: str, errors: list[str]) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # A CSP violation or a script error is a console error; a missing file (favicon aside) is a 404.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    sign_in(page, base, who, PASSWORD)
    page.goto(f"{base}/")
    return page


def _to_chinese(page: Any) -> None:
    with page.expect_navigation():
        page.select_option("select[name=lang]", "zh")  # the switcher submits itself (app.js, no inline handler)


def test_admin_checklist_on_an_empty_database(browser, live_server, live_container) -> None:
    with transaction(live_container.session_factory) as s:
        accounts.create_user(s, "admin", "admin", PASSWORD)
    errors: list[str] = []
    page = _page(browser, live_server, "admin", errors)
    checklist = page.locator("#checklist")
    assert checklist.get_attribute("open") is not None
    assert page.locator(".step.todo").count() == 4 and page.locator(".step.done").count() == 0
    assert "-s 100 127.0.0.1:5060" in page.inner_text("#lab-commands")
    screenshot(page, "home-admin-checklist-en")
    page.click("#checklist summary")  # it folds away and opens again
    assert not page.locator("#lab-commands").is_visible()
    page.click("#checklist summary")
    _to_chinese(page)
    assert "设置您的呼叫中心" in page.inner_text("#checklist summary")
    assert "向实验室拨打一通测试电话" in page.inner_text("#step-test_call")
    screenshot(page, "home-admin-checklist-zh")
    assert errors == []
    page.close()


def test_agent_and_supervisor_homes(browser, live_server, live_container, tmp_path) -> None:
    live_container.settings.timezone = noon_zone()  # every row of the day falls on today
    shop = build(live_container.session_factory, tmp_path / "recordings")
    seed_day(live_container.session_factory, shop)
    errors: list[str] = []
    page = _page(browser, live_server, "ann", errors)
    assert page.locator("#my-tickets tbody tr, #my-tickets table tr").count() >= 3
    assert "Paused · Training" in page.inner_text("#my-state")
    assert "No ticket: Wrong number" in page.inner_text("#my-calls")
    screenshot(page, "home-agent-en")
    _to_chinese(page)
    assert "我的未结工单" in page.inner_text("#my-tickets") and "未建工单：打错电话" in page.inner_text("#my-calls")
    screenshot(page, "home-agent-zh")
    page.close()
    page = _page(browser, live_server, "sue", errors)
    page.wait_for_selector("#chart-hours canvas")  # ECharts drew the day
    ticking = page.locator("#team-live .ticking").first
    assert ticking.inner_text().endswith(("min", "s"))  # a duration, ticking, never "10:00"
    screenshot(page, "home-supervisor-en")
    _to_chinese(page)
    page.wait_for_selector("#chart-hours canvas")
    assert "分" in page.locator("#team-live .ticking").first.inner_text()
    screenshot(page, "home-supervisor-zh")
    page.close()
    assert errors == []
