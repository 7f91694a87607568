"""Admin › queues in real Chromium under the strict CSP, in English and Chinese: the hours grid follows the
choice of hours (queues.js), a new queue is saved with its own hours, the list shows it; screenshots kept."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.forms import catalog
from callcenter.models import Queue

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_queue_is_created_with_its_hours_grid_in_both_languages(browser: Any, live_server: str,
                                                                  live_container: Any, tmp_path: Any) -> None:
    build(live_container.session_factory, tmp_path / "unused")
    with transaction(live_container.session_factory) as s:
        catalog.sync_files(s)
    page = browser.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server}/admin/queues/new")
    grid = page.locator("#hours-grid")
    assert "disabled" in (grid.get_attribute("class") or "")  # the centre's hours: the grid is greyed
    page.fill('input[name="name"]', "weekend")
    page.fill('input[name="display_name"]', "Weekend line")
    page.fill('input[name="did"]', "5550199")
    page.select_option('select[name="default_form"]', "sales")
    for day in ("mon", "tue", "wed", "thu", "fri"):
        page.uncheck(f'input[type=checkbox][name="open_{day}"]')
    page.check('input[type=checkbox][name="open_sat"]')
    page.fill('input[name="from_sat"]', "10:00")  # typing in the grid chooses "its own hours"
    page.fill('input[name="to_sat"]', "14:00")
    assert page.is_checked('input[name="hours_mode"][value="own"]')
    assert "disabled" not in (grid.get_attribute("class") or "")
    screenshot(page, "admin-queue-new-en")
    page.click("#queue-form button.primary")
    page.wait_for_url("**/admin/queues/weekend/edit")
    with live_container.session_factory() as s:
        q = s.scalar(select(Queue).where(Queue.name == "weekend"))
        assert q is not None and q.business_hours["sat"] == "10:00-14:00" and q.business_hours["mon"] == ""
        assert (q.did, q.default_form) == ("5550199", "sales")

    with page.expect_navigation():
        page.select_option('select[name="lang"]', "zh")  # the language picker submits itself (app.js)
    page.goto(f"{live_server}/admin/queues")
    row = page.locator('tr[data-queue="weekend"]')
    assert "周六 10:00–14:00" in row.inner_text() and "Weekend line" in row.inner_text()
    assert page.locator("h1").inner_text() == "队列"
    screenshot(page, "admin-queues-zh")
    page.goto(f"{live_server}/admin/queues/weekend/edit")
    screenshot(page, "admin-queue-edit-zh")
    assert blocked == []
