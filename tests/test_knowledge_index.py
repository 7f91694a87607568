"""The in-memory ranking: what it finds, why, and how every process keeps it in step with the database."""
from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from callcenter.access.audit import Actor
from callcenter.config import Settings
from callcenter.knowledge import calibration
from callcenter.knowledge.articles import Articles, VersionText
from callcenter.knowledge.index import Doc, KnowledgeIndex, build, rank
from callcenter.models import ArticleStatus, Suggestion
from callcenter.text import words
from callcenter.wiring import Container

SYSTEM = Actor.system("test")
REFUND = {"zh": VersionText("如何申请退款", "在订单页面点击申请退款。", "在订单页面点申请退款，三天内到账。"),
          "en": VersionText("How to get a refund", "Open the order and click Refund.",
                            "Open the order and press Refund; the money arrives in three days.")}
ROUTER = {"zh": VersionText("路由器断网怎么办", "重启路由器。", "请重启路由器，等两分钟再试。"),
          "en": VersionText("Router keeps dropping", "Restart the router.", "Restart your router and wait.")}
INVOICE = {"zh": VersionText("发票开错了怎么重开", "在账户里申请重开发票。", "在账户页面申请重开发票。")}


def _publish(articles: Articles, s: Session, versions: dict[str, VersionText], category: str | None = None,
             variants: tuple[tuple[str, str], ...] = (), tags: tuple[str, ...] = ()) -> int:
    return articles.create(s, SYSTEM, versions=versions, category=category, variants=list(variants), tags=tags,
                           publish=True).id


@pytest.fixture
def kb(container: Container) -> dict[str, int]:
    with container.session_factory.begin() as s:
        container.articles.save_category(s, SYSTEM, key="billing", name_en="Billing", name_zh="账单")
        container.articles.save_category(s, SYSTEM, key="support", name_en="Support", name_zh="技术支持")
        return {"refund": _publish(container.articles, s, REFUND, "billing", (("zh", "钱怎么退回来"),),
                                   tags=("money",)),
                "router": _publish(container.articles, s, ROUTER, "support", (("en", "wifi not working"),)),
                "invoice": _publish(container.articles, s, INVOICE, "billing", tags=("money", "tax"))}


def test_finds_the_article_and_says_why(container: Container, kb: dict[str, int]) -> None:
    with container.session_factory() as s:
        for query in ("我要申請退款", "申 请 退 款", "退款", "how do I get refunded"):
            hits = container.suggester.suggest(s, query)
            assert hits and hits[0].article_id == kb["refund"], query
            assert hits[0].matched, query
        best = container.suggester.suggest(s, "我的wifi连不上")[0]
        assert best.article_id == kb["router"] and "wifi" in best.matched
        assert best.locale == "en"  # the English version holds "wifi"; the article appears once
        assert [h.article_id for h in container.suggester.suggest(s, "the printer smells of smoke")] == []


def test_one_hit_per_article_and_the_readers_language(container: Container, kb: dict[str, int]) -> None:
    with container.session_factory() as s:
        hits = container.suggester.suggest(s, "router 路由器 断网", k=5)
        assert [h.article_id for h in hits].count(kb["router"]) == 1
        zh = container.suggester.suggest(s, "refund", locale="zh")[0]
        assert zh.title == "如何申请退款"


def test_filters_and_the_category_hint(container: Container, kb: dict[str, int]) -> None:
    with container.session_factory() as s:
        money = container.suggester.suggest(s, "退款 发票 重开", k=5, tags=["tax"])
        assert [h.article_id for h in money] == [kb["invoice"]]
        strict = container.suggester.suggest(s, "退款 路由器", k=5, category="support", strict_category=True)
        assert [h.article_id for h in strict] == [kb["router"]]


def test_archived_and_draft_articles_are_not_suggested(container: Container, kb: dict[str, int]) -> None:
    with container.session_factory.begin() as s:
        container.articles.set_status(s, SYSTEM, kb["refund"], ArticleStatus.ARCHIVED)
        container.articles.create(s, SYSTEM, versions={"zh": VersionText("退款草稿", "", "")})
    container.knowledge_index.refresh()
    with container.session_factory() as s:
        assert [h.article_id for h in container.suggester.suggest(s, "退款")] != [kb["refund"]]
        assert all(h.title != "退款草稿" for h in container.suggester.suggest(s, "退款草稿"))


def test_another_process_sees_a_change_within_its_refresh(settings: Settings, container: Container,
                                                          kb: dict[str, int]) -> None:
    other = Container(settings.model_copy(update={"knowledge": settings.knowledge.model_copy(
        update={"refresh_seconds": 0.2})}))
    try:
        with other.session_factory() as s:
            assert other.suggester.suggest(s, "漫游") == []
        with container.session_factory.begin() as s:
            _publish(container.articles, s, {"zh": VersionText("出国漫游怎么开", "", "拨打客服开通国际漫游。")})
        time.sleep(0.3)
        with other.session_factory() as s:
            assert other.suggester.suggest(s, "漫游")[0].title == "出国漫游怎么开"
    finally:
        other.close()


def test_a_large_index_is_rebuilt_in_the_background(settings: Settings, container: Container,
                                                    kb: dict[str, int]) -> None:
    cfg = settings.knowledge.model_copy(update={"rebuild_in_background_over": 1, "refresh_seconds": 0})
    index = KnowledgeIndex(container.read_session_factory, cfg)
    first = index.current()
    with container.session_factory.begin() as s:
        _publish(container.articles, s, {"zh": VersionText("携号转网", "", "携号转网请带身份证到营业厅。")})
    assert index.current() is first  # the old index answers while the new one is built
    deadline = time.monotonic() + 10
    while index.current() is first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.current().size == first.size + 1


def test_the_admin_dictionary_reaches_the_index(container: Container, kb: dict[str, int]) -> None:
    from callcenter.knowledge.articles import bump
    from callcenter.models import DictionaryWord

    try:
        with container.session_factory.begin() as s:
            _publish(container.articles, s, {"zh": VersionText("云盒子坏了怎么办", "", "请重启云盒子。")})
            s.add(DictionaryWord(word="云盒子"))
            bump(s, articles=False)
        container.knowledge_index.refresh()
        assert "云盒子" in words.terms("云盒子不亮了")
    finally:
        words.teach([])


def test_postings_are_sorted_so_matched_words_are_exact() -> None:
    docs = [(Doc(i, "en", "", "", ()), text) for i, text in enumerate(
        ["refund money", "router wifi", "refund refund order", "wifi money"], start=1)]
    built = build(docs)
    hits = rank(built, ["refund", "money"], k=4)
    assert [h.article_id for h in hits][:2] in ([1, 3], [3, 1])
    by_id = {h.article_id: h for h in hits}
    assert by_id[1].matched == ("refund", "money") and by_id[3].matched == ("refund",)
    assert by_id[4].matched == ("money",)
    assert 0 < by_id[4].coverage < by_id[1].coverage == pytest.approx(1.0)
    assert rank(built, [], k=3) == [] and rank(build([]), ["refund"], k=3) == []


def test_marks_are_labels_the_calibration_learns_from(container: Container, kb: dict[str, int]) -> None:
    ann = Actor.system("ann")
    with container.session_factory.begin() as s:
        logged = container.suggester.suggest(s, "退款", log="ticket")
        assert logged[0].suggestion_id is not None
        container.suggester.mark(s, ann, helpful=True, suggestion_id=logged[0].suggestion_id)
        unlogged = container.suggester.mark(s, ann, helpful=False, query="退款 路由器 wifi", article_id=kb["refund"])
        assert unlogged.helpful is False and unlogged.features
    with container.session_factory() as s:
        pairs = calibration.agent_pairs(s)
        assert sorted(p.right for p in pairs) == [False, True]
        assert s.query(Suggestion).count() >= 2


def test_a_fit_is_a_probability_that_follows_the_labels() -> None:
    pairs = [calibration.Pair((c, c, 1.0), c > 0.5, 1, i, "seed") for i, c in enumerate(
        [0.1, 0.2, 0.3, 0.4, 0.45, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95, 0.35, 0.65])]
    model, curve, table = calibration.fit(pairs)
    assert model.probability((0.9, 0.9, 1.0)) > 0.8 > 0.2 > model.probability((0.1, 0.1, 1.0))
    assert sum(n for _, _, n in curve) == len(pairs)
    precision = {t: p for t, p, _ in table}
    coverage = {t: c for t, _, c in table}
    assert coverage[0.05] >= coverage[0.5] >= coverage[0.95] and precision[0.75] == 1.0
