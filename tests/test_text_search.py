"""One text module for Chinese and English: folded, cut, and searched alike on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session, sessionmaker

from callcenter.models import Ticket
from callcenter.text import normal, search, words

CASES = [
    ("退款", "我要申请退款，订单已经取消"),  # two characters, inside a longer run
    ("申請退款", "我要申请退款，订单已经取消"),  # traditional characters
    ("申 请 退 款", "我要申请退款，订单已经取消"),  # speech recognition's spacing
    ("ＷｉＦｉ 连不上", "家里wifi连不上了"),  # full width
    ("refunds", "I was promised a refund last week"),  # English stems
    ("到账", "充值以后一直没有到账"),  # a domain word jieba alone cuts in two
]


def test_folding() -> None:
    assert normal.fold("ＷｉＦｉ") == "wifi"
    assert normal.fold("我要申請退款") == "我要申请退款"
    assert normal.fold("申 请 退 款 ok") == "申请退款 ok"
    assert normal.fold("1,000 元") == "1000 元"


def test_two_character_words_are_found_inside_longer_ones() -> None:
    assert "退款" in words.terms("退款申请")
    assert "退款" in words.terms("我要申请退款")
    assert words.terms("我要申請退款") == words.terms("我要申请退款")


def test_the_admin_can_teach_a_word() -> None:
    assert "云盒子" not in words.terms("我的云盒子坏了")
    try:
        assert words.teach(["云盒子"]) == {"云盒子"}
        assert "云盒子" in words.terms("我的云盒子坏了")
    finally:
        words.teach([])
    assert "云盒子" not in words.terms("我的云盒子坏了")


def _match(query: str) -> ColumnElement[bool]:
    clause = search.ticket_matches(query)
    assert clause is not None
    return clause


def _tickets(factory: sessionmaker[Session]) -> dict[str, int]:
    ids = {}
    with factory.begin() as s:
        for _, body in CASES:
            if body not in ids:
                t = Ticket(subject="", description=body)
                s.add(t)
                s.flush()
                ids[body] = t.id
        s.add(Ticket(subject="Printer jam", description="paper stuck"))
    return ids


def test_the_same_tickets_are_found_on_both_engines(session_factory: sessionmaker[Session]) -> None:
    ids = _tickets(session_factory)
    with session_factory() as s:
        for query, body in CASES:
            found = s.scalars(select(Ticket.id).where(_match(query))).all()
            assert found == [ids[body]], query
        assert search.ticket_matches("的 了 吗") is None  # nothing to search for: no clause at all


def test_the_index_follows_edits_and_deletes(session_factory: sessionmaker[Session]) -> None:
    ids = _tickets(session_factory)
    target = ids["家里wifi连不上了"]
    with session_factory.begin() as s:
        ticket = s.get(Ticket, target)
        assert ticket is not None
        ticket.description = "路由器断网了"
    with session_factory() as s:
        assert s.scalars(select(Ticket.id).where(_match("wifi"))).all() == []
        assert s.scalars(select(Ticket.id).where(_match("断网"))).all() == [target]
    with session_factory.begin() as s:
        s.execute(update(Ticket).where(Ticket.id == target).values(subject="x"))  # bulk: words unchanged
        s.delete(s.get(Ticket, target))
    with session_factory() as s:
        assert s.scalars(select(Ticket.id).where(_match("断网"))).all() == []


def test_hostile_queries_are_only_words(session_factory: sessionmaker[Session]) -> None:
    _tickets(session_factory)
    with session_factory() as s:
        for query in ['"退款" OR 1', "退款 NOT 订单", "refund*", "printer) OR (paper", "退款'; DROP TABLE tickets; --"]:
            clause = search.ticket_matches(query)
            assert clause is not None
            s.scalars(select(Ticket.id).where(clause)).all()  # no syntax error from either engine
        assert s.scalar(select(Ticket.id).where(Ticket.id > 0).limit(1)) is not None
