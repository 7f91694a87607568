"""The knowledge base's pages through the Flask client, on both engines: who sees and does what, CSRF,
refusals said on their field in the reader's language, empty states, Chinese pages, the preview's safety,
history and restore, questions to review, categories, the dictionary, an article from a solved ticket."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.knowledge.articles import VersionText
from callcenter.models import Article, ArticleRevision, ArticleStatus, DictionaryWord, Ticket, TicketStatus, User
from callcenter.text import words
from tests.deskdata import PASSWORD
from tests.webtools import csrf_token, sign_in

REFUND = {"en": VersionText("How to get a refund", "Open the app and tap Refund.", "Refunds reach you in 3 days."),
          "zh": VersionText("如何申请退款", "打开应用，点击退款。", "退款三天内到账。")}


def _client(app, who: str, lang: str = "en"):
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    if lang != "en":
        client.post("/language", data={"lang": lang, "csrf_token": csrf_token(client, "/")})
    return client


def _actor(s, username: str) -> Actor:
    return Actor.of(s.scalars(select(User).where(User.username == username)).one())


@pytest.fixture
def kb(container, shop):
    with transaction(container.session_factory) as s:
        container.articles.save_category(s, _actor(s, "sue"), key="billing", name_en="Billing", name_zh="账单")
    return container


def _article(kb, publish: bool = True, versions=REFUND, username: str = "sue") -> int:
    with transaction(kb.session_factory) as s:
        found: int = kb.articles.create(s, _actor(s, username), versions=versions, category="billing", product="App",
                                        tags=["refund", "退款"], variants=[("zh", "我要退款")], publish=publish).id
    kb.knowledge_index.refresh()
    return found


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _form(**values):
    base = {"title_en": "", "body_en": "", "short_en": "", "title_zh": "", "body_zh": "", "short_zh": "",
            "category": "", "product": "", "tags": "", "note": "", "action": "save"}
    return {**base, **values}


def test_empty_states_say_what_to_do(app, kb) -> None:
    ann = _client(app, "ann")
    page = _text(ann.get("/knowledge/"))
    assert 'id="kb-empty"' in page and "No articles yet" in page and "Write the first article" in page
    page = _text(ann.get("/knowledge/?q=退款"))
    assert "No article matches" in page and "Clear the search and filters" in page
    sue = _client(app, "sue")
    assert "Nothing to review" in _text(sue.get("/knowledge/questions"))


def test_search_highlights_matched_words_and_filters_by_tag(app, kb) -> None:
    article_id = _article(kb)
    ann = _client(app, "ann", "zh")
    page = ann.get("/knowledge/?q=退款申請").get_data(as_text=True)  # traditional characters
    assert f'data-article="{article_id}"' in page
    assert "如何<mark>申请退款</mark>" in page  # the words it matched, marked where the title has them
    assert "已发布" in page and "账单" in page  # the status and the category in Chinese
    page = ann.get("/knowledge/?tag=退款").get_data(as_text=True)
    assert f'data-article="{article_id}"' in page and 'class="chip chosen"' in page
    assert f'data-article="{article_id}"' not in ann.get("/knowledge/?tag=router").get_data(as_text=True)


def test_an_agent_writes_a_draft_and_sees_errors_on_their_field(app, kb) -> None:
    ann = _client(app, "ann")
    token = csrf_token(ann, "/knowledge/new")
    resp = ann.post("/knowledge/new", data=_form(csrf_token=token, title_en="Refunds", short_en="See https://x.example",
                                                 variant_locale=["zh"], variant_text=["退款"]))
    page = _text(resp)
    assert resp.status_code == 400
    assert re.search(r'data-field="short_en">The short answer is said aloud and sent by SMS', page)
    assert 'value="Refunds"' in page and "See https://x.example" in page and 'value="退款"' in page  # kept
    resp = ann.post("/knowledge/new", data=_form(csrf_token=token, title_en="Refunds", short_en="In 3 days.",
                                                 title_zh="退款", category="billing", tags="refund, 退款",
                                                 variant_locale=["zh", "en"], variant_text=["我要退款", ""]))
    assert resp.status_code == 303
    with kb.session_factory() as s:
        article = s.scalars(select(Article)).one()
        assert (article.status, article.tags, [v.text for v in article.variants]) == (
            ArticleStatus.DRAFT, ["refund", "退款"], ["我要退款"])
    page = _text(ann.get(resp.headers["Location"]))
    assert "Draft saved." in page and 'id="kb-publish"' not in page  # agents do not publish
    # An agent may not publish, even by posting the button's value.
    resp = ann.post(f"/knowledge/{article.id}/edit", data=_form(csrf_token=token, title_en="Refunds", action="publish"))
    assert resp.status_code == 400 and "Only supervisors and admins publish" in _text(resp)


def test_refusals_are_said_in_chinese_beside_the_field(app, kb) -> None:
    ann = _client(app, "ann", "zh")
    token = csrf_token(ann, "/knowledge/new")
    page = _text(ann.post("/knowledge/new", data=_form(csrf_token=token, title_zh="退款", short_zh="退" * 150)))
    assert re.search(r'data-field="short_zh">简短回答必须', page) or "短信" in page
    assert "must fit" not in page
    page = _text(ann.post("/knowledge/new", data=_form(csrf_token=token)))
    assert 'data-field="title_en">文章需要英文或中文版本。' in page


def test_saving_a_published_article_needs_a_manager(app, kb) -> None:
    article_id = _article(kb)
    ann = _client(app, "ann")
    page = _text(ann.get(f"/knowledge/{article_id}/edit"))
    assert "only a supervisor or an admin may change it" in page
    token = csrf_token(ann, f"/knowledge/{article_id}/edit")
    data = _form(csrf_token=token, title_en="Refunds, changed", short_en="Soon.", category="billing",
                 variant_locale=["zh"], variant_text=["我要退款"])
    resp = ann.post(f"/knowledge/{article_id}/edit", data=data)
    assert resp.status_code == 400 and "Only supervisors and admins publish articles" in _text(resp)
    sue = _client(app, "sue")
    data["csrf_token"] = csrf_token(sue, f"/knowledge/{article_id}/edit")
    assert sue.post(f"/knowledge/{article_id}/edit", data=data).status_code == 303
    with kb.session_factory() as s:
        article = s.get(Article, article_id)
        assert article is not None and [v.locale for v in article.versions] == ["en"]
        assert article.versions[0].title == "Refunds, changed" and article.status is ArticleStatus.PUBLISHED


def test_the_preview_shows_text_never_html_and_safe_links(app, kb) -> None:
    ann = _client(app, "ann")
    body = "Line one <script>alert(1)</script>\nsee https://help.example.com/refund.\n\nSecond <b>para</b>"
    resp = ann.post("/knowledge/new", data=_form(csrf_token=csrf_token(ann, "/knowledge/new"), action="preview",
                                                 title_en="Refunds <i>", body_en=body, short_en="Soon."))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="kb-preview"' in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<p>Second &lt;b&gt;para&lt;/b&gt;</p>" in page and "<i>" not in page.split('id="kb-editor"')[0]
    assert ('<a href="https://help.example.com/refund" rel="noopener noreferrer nofollow" target="_blank">'
            'https://help.example.com/refund</a>.') in page
    assert "1 SMS" in page  # the short answer's cost
    with kb.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 0  # a preview saves nothing


def test_forms_need_their_csrf_token(app, kb) -> None:
    article_id = _article(kb, publish=False)
    sue = _client(app, "sue")
    assert sue.post("/knowledge/new", data=_form(title_en="No token")).status_code == 400
    assert sue.post(f"/knowledge/{article_id}/status", data={"status": "published"}).status_code == 400
    assert sue.post("/admin/knowledge/categories", data={"key": "x", "name_en": "X"}).status_code == 400
    with kb.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 1
        article = s.get(Article, article_id)
        assert article is not None and article.status is ArticleStatus.DRAFT


def test_qa_reads_published_articles_only(app, kb) -> None:
    published, draft = _article(kb), _article(kb, publish=False)
    quinn = _client(app, "quinn")
    page = _text(quinn.get("/knowledge/?status=draft"))
    assert f'data-article="{published}"' in page and f'data-article="{draft}"' not in page
    assert 'id="kb-new"' not in page and 'name="status"' not in page
    assert quinn.get(f"/knowledge/{draft}").status_code == 404
    page = _text(quinn.get(f"/knowledge/{published}"))
    assert 'id="kb-edit"' not in page and 'id="kb-status"' not in page and "退款三天内到账" not in page
    assert quinn.get(f"/knowledge/{published}?lang=zh").status_code == 200
    assert "退款三天内到账。" in _text(quinn.get(f"/knowledge/{published}?lang=zh"))
    assert quinn.get("/knowledge/new").status_code == 403


def test_a_supervisor_publishes_archives_and_returns_to_draft(app, kb) -> None:
    article_id = _article(kb, publish=False, versions={"zh": VersionText("如何申请退款", "打开应用。", "")},
                          username="ann")
    sue = _client(app, "sue", "zh")
    token = csrf_token(sue, f"/knowledge/{article_id}")
    page = _text(sue.post(f"/knowledge/{article_id}/status", data={"status": "published", "csrf_token": token},
                          follow_redirects=True))
    assert "已发布的文章在每种语言中都需要简短回答。" in page  # refused, in Chinese
    with transaction(kb.session_factory) as s:
        kb.articles.save(s, _actor(s, "ann"), article_id, category="billing",
                         versions={"zh": VersionText("如何申请退款", "打开应用。", "退款三天内到账。")})
    for status, said in (("published", "文章已发布"), ("archived", "文章已归档"), ("draft", "文章已退回草稿")):
        page = _text(sue.post(f"/knowledge/{article_id}/status", data={"status": status, "csrf_token": token},
                              follow_redirects=True))
        assert said in page, status
    assert sue.post(f"/knowledge/{article_id}/status", data={"status": "open", "csrf_token": token}).status_code == 400


def test_history_shows_each_revision_with_its_diff_and_restores(app, kb) -> None:
    article_id = _article(kb)
    with transaction(kb.session_factory) as s:
        kb.articles.save(s, _actor(s, "sue"), article_id, category="billing", note="Faster refunds", versions={
            "en": VersionText("How to get a refund", "Open the app and tap Refund.", "Refunds reach you tomorrow."),
            "zh": REFUND["zh"]})
    ann = _client(app, "ann")
    page = _text(ann.get(f"/knowledge/{article_id}/history"))
    assert 'id="rev-2"' in page and 'id="rev-1"' in page and "Faster refunds" in page and "Created" in page
    diff = page.split('data-field="short-en"')[1].split("</ul>")[0]
    assert '<li class="removed">Refunds reach you in 3 days.</li>' in diff
    assert '<li class="added">Refunds reach you tomorrow.</li>' in diff
    assert "kb-restore" not in page  # agents do not restore
    sue = _client(app, "sue", "zh")
    token = csrf_token(sue, f"/knowledge/{article_id}/history")
    page = _text(sue.post(f"/knowledge/{article_id}/history/1/restore", data={"csrf_token": token},
                          follow_redirects=True))
    assert "修订版本 1 已恢复为修订版本 3。" in page and "恢复了修订版本 1" in page
    with kb.session_factory() as s:
        latest = s.scalars(select(ArticleRevision).where(ArticleRevision.locale == "en")
                           .order_by(ArticleRevision.number.desc())).first()
        assert latest is not None and (latest.number, latest.short) == (3, "Refunds reach you in 3 days.")
    assert sue.post(f"/knowledge/{article_id}/history/9/restore", data={"csrf_token": token}).status_code == 404


def test_questions_to_review_are_approved_or_dismissed(app, kb) -> None:
    article_id = _article(kb)
    with transaction(kb.session_factory) as s:
        ids = [kb.articles.add_variant(s, Actor.system("auto-reply"), article_id, "zh", text, candidate=True,
                                       source="rejection").id for text in ("钱什么时候到", "发票怎么开")]
    sue = _client(app, "sue", "zh")
    page = _text(sue.get("/knowledge/questions"))
    assert "钱什么时候到" in page and "客户对自动回复的答复" in page and "如何申请退款" in page
    token = csrf_token(sue, "/knowledge/questions")
    page = _text(sue.post(f"/knowledge/questions/{ids[0]}", data={"decision": "approve", "csrf_token": token},
                          follow_redirects=True))
    assert "从现在起将匹配“钱什么时候到”。" in page
    page = _text(sue.post(f"/knowledge/questions/{ids[1]}", data={"decision": "dismiss", "csrf_token": token},
                          follow_redirects=True))
    assert "“发票怎么开”已驳回。" in page and "没有待审核的内容" in page
    assert sue.post("/knowledge/questions/999", data={"decision": "approve", "csrf_token": token}).status_code == 404


def test_categories_are_added_and_checked(app, kb) -> None:
    sue = _client(app, "sue")
    token = csrf_token(sue, "/admin/knowledge/categories")
    resp = sue.post("/admin/knowledge/categories", data={"key": "Delivery", "name_en": "Delivery", "name_zh": "物流",
                                                         "threshold": "80", "auto_reply": "1", "csrf_token": token})
    assert resp.status_code == 303
    resp = sue.post("/admin/knowledge/categories", data={"key": "bad key", "name_en": "Bad", "threshold": "",
                                                         "csrf_token": token})
    assert resp.status_code == 400 and 'data-field="key">A key of lower-case letters' in _text(resp)
    resp = sue.post("/admin/knowledge/categories", data={"key": "late", "name_en": "Late", "threshold": "abc",
                                                         "csrf_token": token})
    assert resp.status_code == 400 and 'data-field="threshold">A threshold between 0 and 1.' in _text(resp)
    page = _text(sue.get("/admin/knowledge/categories"))
    assert 'data-category="delivery"' in page and 'value="0.8"' in page and 'data-category="billing"' in page


def test_the_dictionary_page_adds_a_word_and_shows_the_cut(app, kb) -> None:
    ada = _client(app, "ada", "zh")
    try:
        page = _text(ada.get("/admin/knowledge/dictionary?try=宽带提速包怎么退订"))
        cut = page.split('id="try-words"')[1].split("</ul>")[0]
        assert "<li>提速</li>" in cut and "提速包" not in cut
        token = csrf_token(ada, "/admin/knowledge/dictionary")
        resp = ada.post("/admin/knowledge/dictionary", data={"word": "提速包", "try": "宽带提速包怎么退订",
                                                             "csrf_token": token}, follow_redirects=True)
        page = _text(resp)
        assert "已添加“提速包”" in page and "<li>提速包</li>" in page.split('id="try-words"')[1].split("</ul>")[0]
        resp = ada.post("/admin/knowledge/dictionary", data={"word": "两个 词", "csrf_token": token})
        assert resp.status_code == 400 and "词语须为 1-40 个字符，不含空格。" in _text(resp)
        with kb.session_factory() as s:
            word_id = s.scalars(select(DictionaryWord.id)).one()
        resp = ada.post(f"/admin/knowledge/dictionary/{word_id}/remove", data={"csrf_token": token},
                        follow_redirects=True)
        assert "已删除“提速包”" in _text(resp)
    finally:
        words.teach([])


def test_a_solved_ticket_offers_to_write_an_article(app, kb, shop) -> None:
    ann = _client(app, "ann")
    assert 'id="kb-write-from-ticket"' not in ann.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    with transaction(kb.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        kb.tickets.add_note(s, ticket, "Restart the router.", _actor(s, "ann"))
        kb.tickets.change(s, ticket, _actor(s, "ann"), status=TicketStatus.RESOLVED)
    page = ann.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    assert 'id="kb-write-from-ticket"' in page
    assert 'id="kb-write-from-ticket"' not in _client(app, "quinn").get(f"/tickets/{shop.ticket_number}").get_data(
        as_text=True)
    resp = ann.post(f"/knowledge/from-ticket/{shop.ticket_number}",
                    data={"csrf_token": csrf_token(ann, f"/tickets/{shop.ticket_number}")})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/edit")
    page = _text(ann.get(resp.headers["Location"]))
    assert 'value="Router down"' in page and "Restart the router." in page
    assert f"A draft was written from ticket {shop.ticket_number}" in page


def test_odd_input_is_a_clear_answer_never_a_crash(app, kb) -> None:
    _article(kb)
    ann = _client(app, "ann")
    for url in ("/knowledge/?tag=a%00b&q=%E9%80%80%E6%AC%BE", "/knowledge/?tag=%25&tag=_", "/knowledge/?q=%00",
                "/knowledge/?status=nope&page=-1", "/knowledge/1?lang=fr"):
        assert ann.get(url).status_code == 200, url
    token = csrf_token(ann, "/knowledge/new")
    resp = ann.post("/knowledge/new", data=_form(csrf_token=token, title_en="Nul\x00title", category="bil\x00ling",
                                                 tags="a\x00b", variant_locale=["xx"], variant_text=["q\x00"]))
    assert resp.status_code == 400 and 'data-field="tags"' in _text(resp)  # NUL left out of the rest
