"""The forms editor and the new API token in Chromium: an error beside its line, the preview following
the text, a save; a token that fits its card and copies with one click (or is selected to copy)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.forms import catalog
from callcenter.models import FormDefinition

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def _gutter_bad(page: Any) -> list[int]:
    marked: list[int] = page.eval_on_selector_all(".gutter li.bad", "els => els.map(e => Number(e.textContent))")
    return marked


def _switch_language(page: Any, lang: str) -> None:
    page.wait_for_load_state("load")  # the switcher submits itself from app.js, which must have run
    with page.expect_navigation():
        page.select_option("select[name=lang]", lang)


def test_editor_live_preview_errors_by_line_and_save(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    page = browser.new_page(locale="en-US", viewport={"width": 1400, "height": 900})
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(f"{m.text} {m.location}") if m.type == "error" else None)
    page.on("response", lambda r: blocked.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("pageerror", lambda e: blocked.append(str(e)))
    sign_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server}/admin/forms")
    page.fill("#new-form input[name=slug]", "complaints")
    page.fill("#new-form input[name=title]", "Complaint")
    with page.expect_navigation():
        page.click("#new-form button[type=submit]")
    assert page.url.endswith("/admin/forms/complaints")
    assert "monospace" in page.eval_on_selector("#definition", "e => getComputedStyle(e).fontFamily")
    text = page.input_value("#definition")
    assert _gutter_bad(page) == [] and page.is_enabled("#form-editor button[type=submit]")

    # An error: a field type the desk does not know, beside its line.
    broken = text.replace('type = "phone"', 'type = "fone"')
    line = broken.split("\n").index('type = "fone"') + 1
    page.fill("#definition", broken)
    page.wait_for_selector(f".gutter li.bad >> text='{line}'")
    assert _gutter_bad(page) == [line]
    why = page.inner_text(f".backdrop div:nth-child({line}) .why")
    assert why.startswith("type must be one of") and page.is_disabled("#form-editor button[type=submit]")
    assert f"Line {line}" in page.inner_text("#problems") and "stale" in page.get_attribute("#preview", "class")
    screenshot(page, "forms-editor-error-en")

    # Fixed, and a new field: the preview follows.
    fixed = text.replace('label = "Call-back number"', 'label = "Number to call back"') + (
        '\n[[fields]]\nname = "order_ref"\nlabel = "Order reference"\nlabel_zh = "订单号"\n')
    page.fill("#definition", fixed)
    page.wait_for_selector("#preview label[for=f-order_ref]")
    assert _gutter_bad(page) == [] and page.inner_text("#problems") == ""
    assert "Number to call back" in page.inner_text("#preview")
    assert page.is_enabled("#form-editor button[type=submit]")
    page.click(".lang-toggle [data-lang=zh]")
    page.wait_for_selector("#preview label[for=f-order_ref]:has-text('订单号')")
    assert page.input_value("#definition") == fixed  # the preview's language changed; the text did not
    screenshot(page, "forms-editor-preview-zh")
    with page.expect_navigation():
        page.click("#form-editor button[type=submit]")
    assert "Saved as version 2." in page.inner_text("main")
    with live_container.session_factory() as s:
        row = s.scalar(select(FormDefinition).where(FormDefinition.slug == "complaints",
                                                    FormDefinition.version == 2))
        assert row is not None and catalog.to_toml(row) == fixed and not row.is_active
    with page.expect_navigation():  # version 1's badge is already "on": wait for the page, not a badge
        page.click("text=Activate")
    page.wait_for_selector(".badge.on")

    # The admin's own language: problems and the page in Chinese.
    _switch_language(page, "zh")
    page.fill("#definition", fixed.replace('name = "order_ref"', 'name = "subject"'))
    page.wait_for_selector(".gutter li.bad")
    assert "用了两次" in page.inner_text("#problems") and "第" in page.inner_text("#problems")
    screenshot(page, "forms-editor-error-zh")
    assert blocked == [], blocked
    page.close()


def _mint(page: Any, base: str, owner_id: int) -> str:
    page.goto(f"{base}/admin/users/{owner_id}/tokens")
    page.fill("input[name=name]", "CRM")
    with page.expect_navigation():
        page.click("form[action$='/token'] button[type=submit]")
    token: str = page.inner_text(".secret code.token").strip()
    assert re.fullmatch(r"cc_\S{20,}", token), token
    return token


def _fits(page: Any) -> bool:
    return bool(page.evaluate("""() => {
      const code = document.querySelector('.secret code.token'), card = code.closest('.card').getBoundingClientRect();
      const box = code.getBoundingClientRect();
      return code.scrollWidth <= code.clientWidth && box.left >= card.left && box.right <= card.right
             && document.documentElement.scrollWidth <= window.innerWidth;
    }"""))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_new_token_fits_its_card_and_copies(browser, live_server, live_container, lang: str) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", viewport={"width": 390, "height": 800},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in(page, live_server, "ada", PASSWORD)
    token = _mint(page, live_server, shop.users["sam"])
    assert _fits(page)  # a phone-wide window: the token wraps inside its card
    assert ("只显示这一次" if lang == "zh" else "Shown only once") in page.inner_text(".flash.warn")
    page.click("button[data-copy]")
    page.wait_for_selector(".copy-state:not(:empty)")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert page.inner_text(".copy-state") == ("已复制。" if lang == "zh" else "Copied.")
    screenshot(page, f"api-token-{lang}")
    context.close()


def test_without_a_clipboard_the_token_is_selected(browser, live_server, live_container) -> None:
    shop = build(live_container.session_factory, live_container.settings.recordings_dir())
    page = browser.new_page(locale="en-US")
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    sign_in(page, live_server, "ada", PASSWORD)
    token = _mint(page, live_server, shop.users["sam"])
    page.click("button[data-copy]")
    page.wait_for_selector(".copy-state:not(:empty)")
    assert page.evaluate("window.getSelection().toString().trim()") == token
    assert "Ctrl+C" in page.inner_text(".copy-state")
    page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_api_reference_reads_in_both_languages(browser, live_server, lang: str) -> None:
    page = browser.new_page(locale="zh-CN" if lang == "zh" else "en-US")
    page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                         " e => window.__csp.push(e.violatedDirective))")
    page.goto(f"{live_server}/api-reference")  # public, like the document
    assert page.inner_text("h1").startswith("API 参考" if lang == "zh" else "API reference")
    page.click(".api-toc a[href='#create_ticket']")
    assert page.evaluate("location.hash") == "#create_ticket"
    assert page.locator("#create_ticket").is_visible()
    screenshot(page, f"api-reference-{lang}")
    assert page.evaluate("window.__csp") == []
    page.close()
