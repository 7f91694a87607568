"""The knowledge base's services on both engines: articles (revisions, status, restore, questions, roles,
validation, from a ticket), the list's search and filters, and the admin's dictionary re-cutting every article."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.knowledge import listing
from callcenter.knowledge.articles import KnowledgeError, VersionText
from callcenter.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleVersion,
    AuditLog,
    DictionaryWord,
    KnowledgeState,
    LinkKind,
    QuestionVariant,
    Ticket,
    TicketArticle,
    TicketStatus,
    User,
    VariantStatus,
)
from callcenter.text import words

REFUND = {"en": VersionText("How to get a refund", "Open the app and tap Refund.", "Refunds reach you in 3 days."),
          "zh": VersionText("如何申请退款", "打开应用，点击退款。", "退款三天内到账。")}
ROUTER = {"zh": VersionText("路由器指示灯不亮怎么办", "检查电源。", "请检查路由器电源。")}


def who(s, username: str) -> Actor:
    return Actor.of(s.scalars(select(User).where(User.username == username)).one())


@pytest.fixture
def kb(container, shop):
    """The shop, a billing category, and the services."""
    with transaction(container.session_factory) as s:
        container.articles.save_category(s, who(s, "sue"), key="billing", name_en="Billing", name_zh="账单")
    return container


@pytest.fixture
def untaught() -> Iterator[None]:
    """The dictionary's words live in the process's one tokenizer: forget them after the test."""
    yield
    words.teach([])


def _refund(kb, username: str = "ann", publish: bool = False) -> int:
    with transaction(kb.session_factory) as s:
        article: Article = kb.articles.create(
            s, who(s, username), versions=REFUND, category="billing", product="App", tags=["Refund", "退款", "refund"],
            variants=[("zh", "我要退款"), ("en", "money back")], publish=publish)
        return article.id


def test_an_agent_writes_a_draft_with_its_first_revision_and_questions(kb) -> None:
    article_id = _refund(kb)
    with kb.session_factory() as s:
        article = s.get(Article, article_id)
        assert article is not None
        assert (article.code, article.status, article.revision, article.tags) == (
            "1001", ArticleStatus.DRAFT, 1, ["refund", "退款"])
        assert {v.locale: v.title for v in article.versions} == {"en": "How to get a refund", "zh": "如何申请退款"}
        assert [(v.locale, v.text, v.status) for v in article.variants] == [
            ("zh", "我要退款", VariantStatus.APPROVED), ("en", "money back", VariantStatus.APPROVED)]
        zh = article.version("zh")
        assert zh is not None and "退款" in zh.search_words.split()
        revisions = s.scalars(select(ArticleRevision).where(ArticleRevision.article_id == article_id)).all()
        assert sorted((r.number, r.locale, r.note) for r in revisions) == [(1, "en", "created"), (1, "zh", "created")]
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "article_saved")) == 1
        assert (s.get(KnowledgeState, 1) or KnowledgeState()).articles >= 1
    assert _refund(kb) != article_id
    with kb.session_factory() as s:
        assert sorted(s.scalars(select(Article.code))) == ["1001", "1002"]


def test_roles_agents_write_drafts_managers_publish_qa_only_reads(kb) -> None:
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.articles.create(s, who(s, "ann"), versions=REFUND, publish=True)
    assert refused.value.code == "forbidden"
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.articles.create(s, who(s, "quinn"), versions=REFUND)
    assert refused.value.code == "forbidden"
    article_id = _refund(kb)
    with pytest.raises(KnowledgeError), transaction(kb.session_factory) as s:
        kb.articles.set_status(s, who(s, "ann"), article_id, ArticleStatus.PUBLISHED)
    with transaction(kb.session_factory) as s:
        kb.articles.set_status(s, who(s, "sue"), article_id, ArticleStatus.PUBLISHED)
    # A published text changes only by someone who may publish.
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.articles.save(s, who(s, "ann"), article_id, versions=REFUND, category="billing")
    assert refused.value.code == "forbidden"
    with transaction(kb.session_factory) as s:
        article = kb.articles.save(s, who(s, "sam"), article_id, versions=REFUND, category="billing", note="checked")
        assert (article.status, article.revision) == (ArticleStatus.PUBLISHED, 3)


def test_publishing_needs_a_short_answer_in_every_language(kb) -> None:
    with transaction(kb.session_factory) as s:
        article_id = kb.articles.create(s, who(s, "ann"), versions={
            "en": REFUND["en"], "zh": VersionText("如何申请退款", "打开应用。", "")}).id
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.articles.set_status(s, who(s, "sue"), article_id, ArticleStatus.PUBLISHED)
    assert (refused.value.field, refused.value.code) == ("short_zh", "short_missing")


@pytest.mark.parametrize(("versions", "field", "code"), [
    ({}, "title_en", "no_version"),
    ({"zh": VersionText("", "正文", "")}, "title_zh", "bad_title"),
    ({"en": VersionText("Refund", "", "See https://example.com")}, "short_en", "short_unsayable"),
    ({"en": VersionText("Refund", "", "<b>now</b>")}, "short_en", "short_unsayable"),
    ({"zh": VersionText("退款", "", "退" * 150)}, "short_zh", "short_too_long"),
])
def test_bad_texts_are_refused_on_their_field(kb, versions, field: str, code: str) -> None:
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.articles.create(s, who(s, "ann"), versions=versions)
    assert (refused.value.field, refused.value.code) == (field, code)
    with kb.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 0  # nothing half-saved


def test_bad_tags_category_and_questions_are_refused(kb) -> None:
    for kwargs, field in (({"tags": ["two words"]}, "tags"), ({"tags": [f"t{i}" for i in range(13)]}, "tags"),
                          ({"category": "nope"}, "category"), ({"variants": [("fr", "Remboursement")]}, "locale"),
                          ({"variants": [("zh", "   ")]}, "variant")):
        with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
            kb.articles.create(s, who(s, "ann"), versions=REFUND, **kwargs)
        assert refused.value.field == field, kwargs


def test_history_and_restore_keep_every_revision(kb) -> None:
    article_id = _refund(kb)
    with transaction(kb.session_factory) as s:
        kb.articles.save(s, who(s, "ann"), article_id, category="billing", note="shorter", versions={
            "en": VersionText("Refunds", "Tap Refund.", "Refunds take 3 days."), "zh": REFUND["zh"]})
    with transaction(kb.session_factory) as s:
        kb.articles.restore(s, who(s, "sue"), article_id, 1)
    with kb.session_factory() as s:
        history = kb.articles.history(s, article_id)
        assert [(r.number, r.locale) for r in history] == [(3, "en"), (3, "zh"), (2, "en"), (2, "zh"), (1, "en"),
                                                           (1, "zh")]
        assert history[0].note == "restored revision 1" and history[0].title == "How to get a refund"
        article = s.get(Article, article_id)
        english = article.version("en") if article is not None else None
        assert english is not None and english.title == "How to get a refund"
        with pytest.raises(KnowledgeError):
            kb.articles.restore(s, who(s, "sue"), article_id, 99)


def test_candidate_questions_wait_for_a_manager(kb) -> None:
    article_id = _refund(kb, "sue", publish=True)
    with transaction(kb.session_factory) as s:
        candidate = kb.articles.add_variant(s, Actor.system("auto-reply"), article_id, "zh", "钱什么时候退回来",
                                            candidate=True, source="rejection")
        candidate_id = candidate.id
    with kb.session_factory() as s:
        assert [v.text for v in kb.articles.candidates(s)] == ["钱什么时候退回来"]
        article = s.get(Article, article_id)
        version = article.version("zh") if article is not None else None
        assert version is not None and "退回来" not in version.search_words
    with pytest.raises(KnowledgeError), transaction(kb.session_factory) as s:
        kb.articles.review_variant(s, who(s, "ann"), candidate_id, True)
    with transaction(kb.session_factory) as s:
        kb.articles.review_variant(s, who(s, "sue"), candidate_id, True)
    with kb.session_factory() as s:
        assert kb.articles.candidates(s) == []
        approved = s.get(QuestionVariant, candidate_id)
        assert approved is not None and approved.status is VariantStatus.APPROVED


def test_the_editors_question_list_replaces_the_approved_ones_only(kb) -> None:
    article_id = _refund(kb)
    with transaction(kb.session_factory) as s:
        kb.articles.add_variant(s, Actor.system("auto-reply"), article_id, "zh", "退款多久到账", candidate=True)
    with transaction(kb.session_factory) as s:
        kb.articles.set_variants(s, who(s, "ann"), article_id, [("zh", "我要退款"), ("zh", "怎么退钱"),
                                                                 ("zh", "退款多久到账"), ("zh", "怎么退钱")])
    with kb.session_factory() as s:
        found = s.scalars(select(QuestionVariant).where(QuestionVariant.article_id == article_id)
                          .order_by(QuestionVariant.id)).all()
        # "money back" went, "怎么退钱" came once; the candidate stays one (an agent does not review).
        assert [(v.text, v.status.value) for v in found] == [
            ("我要退款", "approved"), ("退款多久到账", "candidate"), ("怎么退钱", "approved")]
    with transaction(kb.session_factory) as s:
        kb.articles.set_variants(s, who(s, "sue"), article_id, [("zh", "退款多久到账")])
    with kb.session_factory() as s:
        found = s.scalars(select(QuestionVariant).where(QuestionVariant.article_id == article_id)).all()
        assert [(v.text, v.status.value) for v in found] == [("退款多久到账", "approved")]
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "questions_changed")) == 2


def test_an_article_from_a_solved_ticket(kb, shop) -> None:
    with kb.session_factory() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        ticket_id = ticket.id
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.articles.from_ticket(s, who(s, "ann"), ticket_id)
    assert refused.value.code == "not_solved"
    with transaction(kb.session_factory) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        kb.tickets.add_note(s, ticket, "Restart the router and wait two minutes.", who(s, "ann"))
        kb.tickets.change(s, ticket, who(s, "ann"), status=TicketStatus.RESOLVED)
    with transaction(kb.session_factory) as s:
        article = kb.articles.from_ticket(s, who(s, "ann"), ticket_id)
        article_id = article.id
    with kb.session_factory() as s:
        article = s.get(Article, article_id)
        assert article is not None and article.status is ArticleStatus.DRAFT
        version = article.versions[0]
        assert (version.title, version.body) == ("Router down", "Restart the router and wait two minutes.")
        assert [v.text for v in article.variants] == ["Router down"]
        assert s.scalar(select(TicketArticle.kind).where(TicketArticle.article_id == article_id)) is LinkKind.SOURCE


def test_the_list_searches_published_by_rank_and_drafts_by_title(kb) -> None:
    published = _refund(kb, "sue", publish=True)
    with transaction(kb.session_factory) as s:
        draft = kb.articles.create(s, who(s, "ann"), versions=ROUTER, tags=["路由器"]).id
        archived = kb.articles.create(s, who(s, "sue"), versions={"zh": VersionText("退款旧规则", "", "旧规则。")},
                                      publish=True).id
        kb.articles.set_status(s, who(s, "sue"), archived, ArticleStatus.ARCHIVED)
    kb.knowledge_index.refresh()
    with kb.session_factory() as s:
        def ids(**kwargs) -> list[int]:
            return [f.article.id for f in listing.search(s, kb.suggester, listing.Filters(**kwargs), "zh")]

        assert ids(q="退款") == [published]  # two characters; the archived one is not current
        assert ids(q="退款申請") == [published]  # traditional characters
        assert ids(q="REFUNDS") == [published]  # case and stems
        assert ids(q="指示灯") == [draft]  # a draft, by its title
        assert ids(q="退款", statuses=tuple(ArticleStatus)) == [published, archived]
        assert ids(q="1001") == [published]  # the code a caller keys in
        assert ids(q="退款", category="billing") == [published] and ids(q="退款", category="other") == []
        assert ids(q="退款", tags=("退款",)) == [published] and ids(q="退款", tags=("router",)) == []
        found = listing.search(s, kb.suggester, listing.Filters(q="退款申請"), "zh")[0]
        assert set(found.matched) == {"退款", "申请"} and found.probability is not None
        browsed = s.scalars(listing.browse(listing.Filters(tags=("路由器",)))).all()
        assert [a.id for a in browsed] == [draft]  # a Chinese tag, in the stored JSON, on both engines
        assert [a.id for a in s.scalars(listing.browse(listing.Filters(product="App")))] == [published]
        assert listing.products(s) == ["App"]


def test_readers_who_do_not_write_list_published_articles_only() -> None:
    assert listing.statuses("draft", writer=False) == (ArticleStatus.PUBLISHED,)
    assert listing.statuses(None, writer=True) == listing.CURRENT
    assert listing.statuses("all", writer=True) == tuple(ArticleStatus)


def test_the_dictionary_cuts_every_article_again(kb, untaught) -> None:
    with transaction(kb.session_factory) as s:
        article_id = kb.articles.create(s, who(s, "sue"), publish=True, versions={
            "zh": VersionText("宽带提速包怎么退订", "在应用里退订。", "请在应用里退订提速包。")}).id
    with kb.session_factory() as s:
        assert "提速包" not in s.scalar(select(ArticleVersion.search_words)).split()
        before = s.get(KnowledgeState, 1)
        assert before is not None
        counters = (before.articles, before.dictionary)
    with transaction(kb.session_factory) as s:
        row = kb.dictionary.add(s, who(s, "ada"), "  提速包 ")
        word_id = row.id
    with kb.session_factory() as s:
        assert [w.word for w in kb.dictionary.words(s)] == ["提速包"]
        assert "提速包" in s.scalar(select(ArticleVersion.search_words)).split()
        state = s.get(KnowledgeState, 1)
        assert state is not None and (state.articles, state.dictionary) == (counters[0] + 1, counters[1] + 1)
        assert "提速包" in kb.dictionary.cut("我想退订提速包")
        hits = kb.suggester.suggest(s, "提速包", k=3)
        assert [h.article_id for h in hits] == [article_id] and "提速包" in hits[0].matched
    with transaction(kb.session_factory) as s:
        assert kb.dictionary.remove(s, who(s, "ada"), word_id) == "提速包"
    with kb.session_factory() as s:
        assert "提速包" not in s.scalar(select(ArticleVersion.search_words)).split()
        assert "提速包" not in kb.dictionary.cut("我想退订提速包")
        actions = s.scalars(select(AuditLog.action).where(AuditLog.object_type == "dictionary_word")).all()
        assert sorted(actions) == ["dictionary_word_added", "dictionary_word_removed"]


def test_the_dictionary_refuses_bad_words_and_other_roles(kb, untaught) -> None:
    for word, code in (("", "bad_word"), ("two words", "bad_word"), ("两个 词", "bad_word"), ("x" * 41, "bad_word")):
        with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
            kb.dictionary.add(s, who(s, "ada"), word)
        assert (refused.value.field, refused.value.code) == ("word", code)
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.dictionary.add(s, who(s, "sue"), "光猫")
    assert refused.value.code == "forbidden"
    with transaction(kb.session_factory) as s:
        assert kb.dictionary.add(s, who(s, "ada"), "ＷｉＦｉ6").word == "wifi6"  # stored folded
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.dictionary.add(s, who(s, "ada"), "WIFI6")
    assert refused.value.code == "duplicate"
    with pytest.raises(KnowledgeError) as refused, transaction(kb.session_factory) as s:
        kb.dictionary.remove(s, who(s, "ada"), 999)
    assert refused.value.code == "not_found"
    with kb.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(DictionaryWord)) == 1
