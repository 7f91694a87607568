"""Under the strict CSP every control works: the main pages as each role in real Chromium, with no
policy violation, script error or console error, and the language switcher changes the language.

(The full page walk in both languages is tests/test_browser_pages_zh.py's; this one is the compact
walk over what each role opens most.)
"""
from __future__ import annotations

from typing import Any

import pytest

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser

# Every violation the page sees (the event fires for blocked scripts, styles, handlers and connections).
WATCH = """window.__problems = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__problems.push('CSP ' + e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
});"""
# Per page: a selector that is there once its script has done its first work.
READY = {"/desk/": "#link-state.on", "/wallboard/": "#wb-link.on", "/admin/forms/support": ".gutter li"}


def _pages(shop: Any) -> dict[str, list[str]]:
    common = ["/", "/tickets/", f"/tickets/{shop.ticket_number}", "/jobs/", "/auth/password", "/api-reference"]
    managers = ["/review/", "/reports/", "/wallboard/", "/admin/retention", "/admin/erasure?q=wang",
                f"/qa/calls/{shop.call_id}", "/qa/", "/qa/agents", "/admin/queues", "/admin/queues/support/edit"]
    return {
        "ann": [*common, "/desk/"],
        "sue": [*common, "/desk/", *managers],
        "quinn": [*common, "/qa/", "/qa/scorecards", "/qa/rules", f"/qa/calls/{shop.call_id}"],
        "ada": [*common, *managers, "/desk/", "/admin/forms", "/admin/forms/support", "/admin/users",
                f"/admin/users/{shop.users['sam']}/tokens", "/admin/audit", "/qa/scorecards", "/qa/rules",
                "/admin/queues/new"],
    }


def _watch(page: Any, seen: list[str]) -> None:
    page.add_init_script(WATCH)
    page.on("pageerror", lambda e: seen.append(f"pageerror {e}"))
    page.on("console", lambda m: seen.append(f"console {m.text}") if m.type == "error" else None)


@pytest.mark.parametrize("who", ["ann", "sue", "quinn", "ada"])
def test_main_pages_run_clean_under_the_csp(browser, live_server, live_container, who: str) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    seen: list[str] = []
    _watch(page, seen)
    sign_in(page, live_server, who, PASSWORD)
    page.wait_for_selector("header.topbar nav")
    found: dict[str, list[str]] = {}
    for url in _pages(shop)[who]:
        before = len(seen)
        resp = page.goto(f"{live_server}{url}", wait_until="load")
        assert resp is not None and resp.status == 200, (who, url, resp and resp.status)
        if url in READY:
            page.wait_for_selector(READY[url], timeout=10000)
        problems = seen[before:] + page.evaluate("window.__problems")
        if problems:
            found[url] = problems
    context.close()
    assert found == {}, found


def test_the_language_switcher_changes_the_language(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    page = browser.new_page(locale="en-US")
    seen: list[str] = []
    _watch(page, seen)
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/tickets/")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("form[action$='/language'] button").count() == 0  # the no-script button: JavaScript submits
    with page.expect_navigation():
        page.select_option("select[name=lang]", "zh")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.url.endswith("/tickets/")  # back where the switch was made
    assert "首页" in page.inner_text("header.topbar nav") and "工单" in page.inner_text("h1")
    screenshot(page, "language-switched-zh")
    page.goto(f"{live_server}/")  # the choice is the user's, not the page's
    assert page.get_attribute("html", "lang") == "zh-CN"
    with page.expect_navigation():
        page.select_option("select[name=lang]", "en")
    assert page.get_attribute("html", "lang") == "en" and "Home" in page.inner_text("header.topbar nav")
    assert page.evaluate("window.__problems") == [] and seen == []
    page.close()


def test_multi_line_text_keeps_its_line_breaks(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    page = browser.new_page(locale="en-US")
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/tickets/{shop.ticket_number}")
    page.fill("textarea[name=body]", "Called back at 10:00.\nNo answer; left a message.")
    with page.expect_navigation():
        page.click("form[action$='/notes'] button[type=submit]")
    note = page.locator(".note p.pre-wrap").last
    assert note.inner_text() == "Called back at 10:00.\nNo answer; left a message."  # innerText follows the layout
    assert note.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    page.close()
