"""The knowledge base in Chromium: an agent writes a draft in English and Chinese with a question, watches the
short answers' SMS counters, previews it; a supervisor edits and publishes it; it is found by a two-character
Chinese search and by a traditional-character one; the history shows both saves and a restore brings the
first text back."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.models import Article, ArticleStatus, User
from tests.deskdata import PASSWORD, build
from tests.support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser
BODY_ZH = "打开应用，点击“退款”。\n\n详情见 https://help.example.com/refund 。"


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def _agent_writes_a_draft(browser: Any, base: str) -> int:
    page = browser.new_page(locale="en-US")
    problems = _watch(page)
    sign_in(page, base, "ann", PASSWORD)
    page.goto(f"{base}/knowledge/")
    assert "No articles yet" in page.inner_text("#kb-empty")
    page.click("#kb-new")
    # English first (the reader's language): the Chinese panel waits behind its tab once the page's script has
    # run (without it both show); a loaded machine may run it after the click returns.
    page.wait_for_selector("#panel-zh", state="hidden")
    assert page.is_visible("#panel-en") and not page.is_visible("#panel-zh")
    page.fill("#title-en", "How to get a refund")
    page.fill("#body-en", "Open the app and tap Refund.")
    page.fill("#short-en", "Refunds reach you in 3 days.")
    assert page.inner_text("#short-count-en") == "28 of 160 characters · 1 SMS · GSM 7-bit"
    page.click("#tab-zh")
    assert page.is_visible("#panel-zh") and not page.is_visible("#panel-en")
    page.fill("#title-zh", "如何申请退款")
    page.fill("#body-zh", BODY_ZH)
    page.locator("#short-zh").press_sequentially("退款三天内到账。")
    assert page.inner_text("#short-count-zh") == "8 of 70 characters · 1 SMS · Unicode"
    page.select_option("#kb-category", "billing")
    page.fill("#kb-tags", "refund, 退款")
    first = page.locator(".kb-variant-row").first
    first.locator("select").select_option("zh")
    first.locator("input").fill("我要退款")
    page.click("#kb-add-variant")  # a new row, in the language of the tab being written
    rows = page.locator(".kb-variant-row")
    assert rows.count() == 2 and rows.nth(1).locator("select").input_value() == "zh"
    rows.nth(1).locator("input").fill("退款多久到账")
    with page.expect_navigation():
        page.click("#kb-preview-button")
    preview = page.locator("#kb-preview [data-locale=zh]")
    link = preview.locator(".kb-preview-desk a")
    assert link.get_attribute("href") == "https://help.example.com/refund"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert "退款三天内到账。" in preview.locator(".kb-sms-bubble").inner_text()
    assert page.input_value("#title-zh") == "如何申请退款" and page.locator(".kb-variant-row input").nth(1).input_value(
        ) == "退款多久到账"  # what was typed is kept for saving
    screenshot(page, "knowledge-preview")
    with page.expect_navigation():
        page.click("#kb-save")
    assert "Draft saved." in page.inner_text(".flash.success")
    assert page.inner_text("#kb-title") == "How to get a refund" and page.locator("#kb-publish").count() == 0
    article_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert problems == []
    page.close()
    return article_id


def test_a_draft_is_written_published_found_and_restored(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    with transaction(live_container.session_factory) as s:
        sue = Actor.of(s.scalars(select(User).where(User.username == "sue")).one())
        live_container.articles.save_category(s, sue, key="billing", name_en="Billing", name_zh="账单")
    article_id = _agent_writes_a_draft(browser, live_server)

    page = browser.new_page(locale="en-US")
    problems = _watch(page)
    sign_in(page, live_server, "sue", PASSWORD)
    page.goto(f"{live_server}/knowledge/{article_id}?lang=zh")
    assert page.inner_text("#kb-title") == "如何申请退款" and "1 SMS" in page.inner_text("#kb-sms")
    page.click("#kb-edit")
    page.click("#tab-zh")
    page.fill("#body-zh", "打开应用，点击“退款”，三天内到账。")
    page.fill("#kb-note", "Shorter Chinese text")
    with page.expect_navigation():
        page.click("#kb-save")
    with page.expect_navigation():
        page.click("#kb-publish")
    assert "Article published" in page.inner_text(".flash.success")
    with live_container.session_factory() as s:
        article = s.get(Article, article_id)
        assert article is not None and article.status is ArticleStatus.PUBLISHED

    for query in ("退款", "退款申請"):  # two characters; traditional characters
        page.goto(f"{live_server}/knowledge/")
        page.fill("#kb-q", query)
        with page.expect_navigation():
            page.press("#kb-q", "Enter")
        row = page.locator(f"#kb-results tr[data-article='{article_id}']")
        assert row.count() == 1, query
        assert "退款" in row.locator(".kb-why mark").all_inner_texts()
    screenshot(page, "knowledge-search")

    page.click(f"#kb-results tr[data-article='{article_id}'] a.kb-title")
    page.click("#kb-history")
    revisions = page.locator(".kb-revision")
    assert revisions.count() == 2
    assert "Shorter Chinese text" in revisions.first.inner_text()
    changed = revisions.first.locator("[data-field='body-zh']")
    assert "打开应用，点击“退款”，三天内到账。" in changed.locator(".added").inner_text()
    assert "打开应用，点击“退款”。" in changed.locator(".removed").first.inner_text()
    screenshot(page, "knowledge-history")
    with page.expect_navigation():
        page.click(".kb-restore[data-revision='1']")
    assert "Revision 1 restored as revision 4." in page.inner_text(".flash.success")
    assert page.locator(".kb-revision").count() == 3
    page.goto(f"{live_server}/knowledge/{article_id}?lang=zh")
    assert "详情见" in page.inner_text("#kb-body")
    assert page.locator("#kb-body a[href='https://help.example.com/refund']").count() == 1
    assert problems == []
    page.close()
