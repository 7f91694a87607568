"""The desk's knowledge panel calls and the public suggestion API, on SQLite and PostgreSQL.

Roles, the JSON the panel draws, what the caller said feeding the question, what is logged (the pop and a
ticket page's first look, once; never keystrokes), "helpful" by logged suggestion and by question, links
noted once, and CSRF on every post.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.db import transaction
from callcenter.models import (
    AuditLog,
    Suggestion,
    Ticket,
    TicketArticle,
    Transcript,
    TranscriptStatus,
)

from .desk_articles import seed
from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

SUGGEST = "/desk/knowledge/suggest"
KEYS = {"article_id", "code", "locale", "title", "short", "category", "probability", "percent", "calibrated",
        "matched", "rank", "suggestion_id", "url"}


@pytest.fixture
def articles(container, shop) -> dict[str, int]:
    return seed(container, draft=True)


def _signed_in(app, who: str) -> tuple[Any, str]:
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    return client, csrf_token(client, "/tickets/")


def _post(client, url: str, token: str | None, data: dict[str, Any]) -> Any:
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(url, json=data, headers=headers)


def _count(container, model: Any, *where: Any) -> int:
    with container.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _transcript(container, call_id: int, caller: str, agent: str) -> None:
    """A finished transcript as the transcriber stores it: turns of timed words, speaker by speaker."""
    def turn(speaker: str, text: str, start: float) -> dict[str, Any]:
        return {"speaker": speaker, "start": start, "end": start + 2,
                "words": [{"w": w, "start": start, "end": start + 0.3, "conf": 0.9} for w in text.split()]}

    with transaction(container.session_factory) as s:
        s.add(Transcript(call_id=call_id, status=TranscriptStatus.DONE, language="zh",
                         turns=[turn("agent", agent, 0.0), turn("caller", caller, 3.0)],
                         text=f"agent: {agent}\ncaller: {caller}"))


def test_suggestions_as_typed_for_desk_roles_only(app, container, shop, articles) -> None:
    ann, _ = _signed_in(app, "ann")
    resp = ann.get(SUGGEST, query_string={"q": "我想申请退款，钱多久到账", "context": "form"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["context"] == "form" and body["logged"] is False and "linked" not in body
    top = body["hits"][0]
    assert set(top) == KEYS and top["article_id"] == articles["refund"] and top["title"] == "如何申请退款"
    assert top["locale"] == "zh" and top["short"].startswith("在订单页") and "退款" in top["matched"]
    assert top["url"] == f"/knowledge/{articles['refund']}?lang=zh" and top["rank"] == 1
    assert top["percent"] == round(top["probability"] * 100) and top["calibrated"] is False
    assert len(body["hits"]) <= 3 and top["suggestion_id"] is None
    assert _count(container, Suggestion) == 0, "keystrokes are never logged"
    # Traditional characters and English find the same articles; the draft is never offered.
    traditional = ann.get(SUGGEST, query_string={"q": "密碼忘記了"}).get_json()["hits"][0]
    assert traditional["article_id"] == articles["password"]
    english = ann.get(SUGGEST, query_string={"q": "I want my money back"}).get_json()["hits"][0]
    assert english["article_id"] == articles["refund"] and english["locale"] == "en"
    assert all(h["article_id"] != articles["draft"] for h in
               ann.get(SUGGEST, query_string={"q": "退款新规"}).get_json()["hits"])
    # Nothing to go on yet: an empty answer, not an error.
    assert ann.get(SUGGEST).get_json()["hits"] == []
    bad = ann.get(SUGGEST, query_string={"context": "everywhere"})
    assert bad.status_code == 422 and "context" in bad.get_json()["errors"]
    quinn, _ = _signed_in(app, "quinn")
    assert quinn.get(SUGGEST, query_string={"q": "退款"}).status_code == 403
    assert app.test_client().get(SUGGEST, query_string={"q": "退款"}).status_code == 302


def test_what_the_caller_said_is_part_of_the_question(app, container, shop, articles) -> None:
    # The caller asked about the router (ASR spacing between the characters); the agent spoke of invoices.
    _transcript(container, shop.call_id, "我 家 的 路 由 器 一 直 亮 红 灯", "您 好 需 要 发 票 吗")
    with container.session_factory() as s:  # cut once when stored, the caller's side only
        stored = s.scalars(select(Transcript.caller_words).where(Transcript.call_id == shop.call_id)).one().split()
        assert "路由器" in stored and "发票" not in stored
    ann, _ = _signed_in(app, "ann")
    body = ann.get(SUGGEST, query_string={"call": shop.call_id, "context": "pop"}).get_json()
    assert [h["article_id"] for h in body["hits"]][:1] == [articles["router"]]
    assert articles["invoice"] not in [h["article_id"] for h in body["hits"]], "only the caller's side is asked"
    assert body["category"] == "support" and body["logged"] is True  # the IVR's choice, from the call
    rows = _count(container, Suggestion, Suggestion.context == "pop", Suggestion.call_id == shop.call_id,
                  Suggestion.user_id == shop.users["ann"])
    assert rows == len(body["hits"]) and all(h["suggestion_id"] for h in body["hits"])
    # The same pop shown again in this tab is not a new offer; typing is never logged.
    again = ann.get(SUGGEST, query_string={"call": shop.call_id, "context": "pop", "again": "1"}).get_json()
    typed = ann.get(SUGGEST, query_string={"call": shop.call_id, "context": "form", "q": "还有发票"}).get_json()
    assert again["logged"] is False and _count(container, Suggestion) == rows
    assert {articles["router"], articles["invoice"]} <= {h["article_id"] for h in typed["hits"]}
    assert _count(container, Suggestion) == rows
    # bob did not take that call: refused and audited.
    bob, _ = _signed_in(app, "bob")
    denied = _count(container, AuditLog, AuditLog.outcome == "denied")
    assert bob.get(SUGGEST, query_string={"call": shop.call_id}).status_code == 403
    assert _count(container, AuditLog, AuditLog.outcome == "denied") == denied + 1


def test_the_pop_asks_about_the_customers_open_tickets(app, container, shop, articles) -> None:
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        ticket.subject = "发票还没收到"
    ann, _ = _signed_in(app, "ann")
    pop = ann.get(SUGGEST, query_string={"call": shop.call_id, "context": "pop"}).get_json()
    assert pop["hits"][0]["article_id"] == articles["invoice"]  # the customer's open ticket is about an invoice
    form = ann.get(SUGGEST, query_string={"call": shop.call_id, "context": "form"}).get_json()
    assert form["hits"] == [], "the form asks what is typed and what the caller said, not the history"


def test_the_ticket_page_logs_its_first_look_once(app, container, shop, articles) -> None:
    with transaction(container.session_factory) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.number == shop.ticket_number)).one()
        ticket.description = "客户说路由器一直亮红灯，宽带断了"
        ticket_id = ticket.id
    ann, _ = _signed_in(app, "ann")
    first = ann.get(SUGGEST, query_string={"ticket": ticket_id, "context": "ticket"}).get_json()
    assert first["hits"][0]["article_id"] == articles["router"] and first["linked"] == []
    again = ann.get(SUGGEST, query_string={"ticket": ticket_id, "context": "ticket"}).get_json()
    assert [h["suggestion_id"] for h in again["hits"]] == [h["suggestion_id"] for h in first["hits"]]
    assert _count(container, Suggestion, Suggestion.ticket_id == ticket_id) == len(first["hits"])
    # Another agent's look is theirs; words typed on the ticket page are not logged.
    sue, _ = _signed_in(app, "sue")
    sue.get(SUGGEST, query_string={"ticket": ticket_id, "context": "ticket"})
    sue.get(SUGGEST, query_string={"ticket": ticket_id, "context": "ticket", "q": "发票"})
    assert _count(container, Suggestion, Suggestion.ticket_id == ticket_id) == 2 * len(first["hits"])
    bob, _ = _signed_in(app, "bob")
    assert bob.get(SUGGEST, query_string={"ticket": ticket_id, "context": "ticket"}).status_code == 403


def test_mark_by_logged_suggestion_and_by_question(app, container, shop, articles) -> None:
    ann, token = _signed_in(app, "ann")
    _transcript(container, shop.call_id, "我 要 退 款", "好 的")
    hit = ann.get(SUGGEST, query_string={"call": shop.call_id, "context": "pop"}).get_json()["hits"][0]
    resp = _post(ann, "/desk/knowledge/mark", token, {"suggestion_id": hit["suggestion_id"], "helpful": True})
    assert resp.status_code == 200 and resp.get_json() == {"suggestion_id": hit["suggestion_id"], "helpful": True}
    with container.session_factory() as s:
        row = s.get(Suggestion, hit["suggestion_id"])
        assert row is not None and row.helpful is True and row.marked_by_id == shop.users["ann"]
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "suggestion_marked")) == 1
    # An unlogged suggestion (as typed) is logged with the question it was shown for, then labelled.
    typed = {"q": "发票怎么开", "context": "form", "call": shop.call_id}
    shown_typed = ann.get(SUGGEST, query_string=typed).get_json()["hits"][0]
    assert shown_typed["article_id"] == articles["invoice"] and shown_typed["suggestion_id"] is None
    resp = _post(ann, "/desk/knowledge/mark", token, {**typed, "article_id": articles["invoice"], "helpful": False})
    assert resp.status_code == 200
    with container.session_factory() as s:
        row = s.get(Suggestion, resp.get_json()["suggestion_id"])
        assert row is not None and row.context == "form" and row.helpful is False
        assert row.article_id == articles["invoice"] and "发票怎么开" in row.query
        assert row.category == "support" and row.probability == shown_typed["probability"]
    # An article that does not answer that question, a missing answer, a bad id: refused with why, nothing stored.
    before = _count(container, Suggestion)
    wrong = _post(ann, "/desk/knowledge/mark", token, {**typed, "article_id": articles["password"], "helpful": True})
    assert wrong.status_code == 422 and wrong.get_json()["error"] == "not_suggested"
    assert _post(ann, "/desk/knowledge/mark", token, {"suggestion_id": hit["suggestion_id"]}).status_code == 422
    assert _post(ann, "/desk/knowledge/mark", token, {"suggestion_id": "x", "helpful": True}).status_code == 422
    assert _post(ann, "/desk/knowledge/mark", token, {"suggestion_id": 999999, "helpful": True}).status_code == 404
    assert _count(container, Suggestion) == before
    # Someone else's suggestion on a call they may not see: refused (bob); the supervisor of ann's team may.
    bob, bob_token = _signed_in(app, "bob")
    assert _post(bob, "/desk/knowledge/mark", bob_token,
                 {"suggestion_id": hit["suggestion_id"], "helpful": False}).status_code == 403
    sue, sue_token = _signed_in(app, "sue")
    assert _post(sue, "/desk/knowledge/mark", sue_token,
                 {"suggestion_id": hit["suggestion_id"], "helpful": False}).status_code == 200


def test_mark_refusal_in_chinese(app, container, shop, articles) -> None:
    ann, token = _signed_in(app, "ann")
    ann.post("/language", data={"lang": "zh", "csrf_token": token})
    resp = _post(ann, "/desk/knowledge/mark", token,
                 {"q": "发票", "context": "form", "article_id": articles["password"], "helpful": True})
    assert resp.status_code == 422 and any("\u4e00" <= c <= "\u9fff" for c in resp.get_json()["message"])


def test_link_is_noted_once_per_kind(app, container, shop, articles) -> None:
    with container.session_factory() as s:
        ticket_id = s.scalars(select(Ticket.id).where(Ticket.number == shop.ticket_number)).one()
    ann, token = _signed_in(app, "ann")
    for _ in range(2):
        resp = _post(ann, "/desk/knowledge/link", token, {"ticket": ticket_id, "article_id": articles["router"]})
        assert resp.status_code == 200
    linked = resp.get_json()["linked"]
    assert [(x["article_id"], x["kind"], x["kind_label"]) for x in linked] == [(articles["router"], "linked", "Linked")]
    assert linked[0]["code"] and linked[0]["title"] == "路由器亮红灯怎么办"  # the customer's language, as the cards
    inserted = _post(ann, "/desk/knowledge/link", token,
                     {"ticket": ticket_id, "article_id": articles["router"], "kind": "inserted"}).get_json()["linked"]
    assert [x["kind"] for x in inserted] == ["linked", "inserted"]
    assert _count(container, TicketArticle, TicketArticle.ticket_id == ticket_id) == 2
    assert _count(container, AuditLog, AuditLog.action == "article_linked") == 2
    # The ticket page's panel lists them.
    page = ann.get(SUGGEST, query_string={"ticket": ticket_id, "context": "ticket"}).get_json()
    assert [x["kind"] for x in page["linked"]] == ["linked", "inserted"]
    # Only the desk's kinds, only on tickets one may change, only real articles.
    ivr = _post(ann, "/desk/knowledge/link", token, {"ticket": ticket_id, "article_id": articles["router"],
                                                     "kind": "ivr"})
    assert ivr.status_code == 422 and "kind" in ivr.get_json()["errors"]
    assert _post(ann, "/desk/knowledge/link", token, {"ticket": ticket_id, "article_id": 999999}).status_code == 422
    bob, bob_token = _signed_in(app, "bob")
    assert _post(bob, "/desk/knowledge/link", bob_token,
                 {"ticket": ticket_id, "article_id": articles["router"]}).status_code == 403
    assert _count(container, TicketArticle, TicketArticle.ticket_id == ticket_id) == 2


def test_posts_without_the_csrf_token_are_refused(app, container, shop, articles) -> None:
    with container.session_factory() as s:
        ticket_id = s.scalars(select(Ticket.id).where(Ticket.number == shop.ticket_number)).one()
    ann, _ = _signed_in(app, "ann")
    hit = ann.get(SUGGEST, query_string={"ticket": ticket_id, "context": "ticket"}).get_json()["hits"]
    assert _post(ann, "/desk/knowledge/link", None, {"ticket": ticket_id, "article_id": articles["router"]}
                 ).status_code == 400
    assert _post(ann, "/desk/knowledge/mark", "not-the-token",
                 {"suggestion_id": hit[0]["suggestion_id"] if hit else 1, "helpful": True}).status_code == 400
    assert _count(container, TicketArticle) == 0
    assert _count(container, Suggestion, Suggestion.helpful.is_not(None)) == 0


def test_article_text_to_insert(app, container, shop, articles) -> None:
    ann, _ = _signed_in(app, "ann")
    zh = ann.get(f"/desk/knowledge/articles/{articles['refund']}", query_string={"locale": "zh"}).get_json()
    assert zh["body"].startswith("在订单页点击申请退款") and zh["short"] and zh["locale"] == "zh"
    en = ann.get(f"/desk/knowledge/articles/{articles['refund']}", query_string={"locale": "en"}).get_json()
    assert en["title"] == "How to get a refund"
    draft = ann.get(f"/desk/knowledge/articles/{articles['draft']}")
    assert draft.status_code == 404 and draft.get_json()["message"]


def test_the_panel_is_on_the_desk_and_the_ticket_page(app, container, shop, articles) -> None:
    ann, _ = _signed_in(app, "ann")
    desk = ann.get("/desk/").get_data(as_text=True)
    assert 'class="kb-panel"' in desk and 'data-mode="desk"' in desk and "knowledge_suggest.js" in desk
    page = ann.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)
    assert 'data-mode="ticket"' in page and 'data-editable="1"' in page and "kb-linked" in page
    assert 'class="kb-link"' in page and "<script>" not in page  # no inline script: the CSP forbids it
    # QA reads tickets but the suggestions are the desk's: no panel.
    quinn, _ = _signed_in(app, "quinn")
    assert "kb-panel" not in quinn.get(f"/tickets/{shop.ticket_number}").get_data(as_text=True)


# -- the API ----------------------------------------------------------------------------------------------


def test_api_suggest(client, container, shop, articles) -> None:
    def get(who: str, **params: Any) -> Any:
        return client.get("/api/v1/knowledge/suggest", query_string=params,
                          headers={"Authorization": f"Bearer {shop.tokens[who]}"})

    resp = get("ann", q="退款多久能到账")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"] == len(body["items"]) >= 1 and body["items"][0]["article_id"] == articles["refund"]
    assert set(body["items"][0]) == KEYS - {"suggestion_id"} and body["items"][0]["url"].endswith(
        f"/knowledge/{articles['refund']}?lang=zh")
    assert get("ann", q="退款", locale="en").get_json()["items"][0]["title"] == "How to get a refund"
    assert len(get("ann", q="退款 发票 密码 路由器", limit=2).get_json()["items"]) == 2
    _transcript(container, shop.call_id, "密 码 忘 了 登 录 不 了", "您 好")
    assert get("ann", call=shop.call_id).get_json()["items"][0]["article_id"] == articles["password"]
    assert get("bob", call=shop.call_id).status_code == 404  # not bob's call: as if it did not exist
    assert get("bob", ticket=shop.ticket_number).status_code == 404
    assert get("ann", ticket=shop.ticket_number).status_code == 200
    empty = get("ann")
    assert empty.status_code == 422 and empty.get_json()["error"] == "invalid"
    assert get("quinn", q="退款").status_code == 403
    assert _count(container, Suggestion) == 0, "a CRM asking is not an offer to an agent"


def test_api_suggest_needs_its_scope(client, container, shop, articles) -> None:
    from callcenter.access import tokens
    from callcenter.models import User
    from tests.support import services

    with transaction(container.session_factory) as s:
        ann = s.scalars(select(User).where(User.username == "ann")).one()
        secret = tokens.mint(s, ann, services.TEST, scopes=["tickets:read"])[1]
    resp = client.get("/api/v1/knowledge/suggest?q=退款", headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 403 and resp.get_json()["error"] == "insufficient_scope"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["paths"]["/api/v1/knowledge/suggest"]["get"]["x-scope"] == "knowledge:read"
