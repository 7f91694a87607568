"""The knowledge base's API on both engines: drafts written, found by search, saved whole or in part,
published; roles and token scopes as on the pages; refusals as problems naming the field."""
from __future__ import annotations

from sqlalchemy import func, select

from callcenter.access import tokens
from callcenter.db import transaction
from callcenter.models import AuditLog, User
from tests.support import services

ARTICLES = "/api/v1/knowledge/articles"
REFUND = {"versions": {"en": {"title": "How to get a refund", "body": "Open the app.", "short": "In 3 days."},
                       "zh": {"title": "如何申请退款", "body": "打开应用。"}},
          "tags": ["Refund"], "product": "App", "questions": [{"locale": "zh", "text": "我要退款"}]}


def _as(shop, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {shop.tokens[who]}"}


def _create(client, shop, who: str = "ann", body=None):
    return client.post(ARTICLES, json=body or REFUND, headers=_as(shop, who))


def test_an_agent_writes_a_draft_a_supervisor_publishes_it(client, shop) -> None:
    resp = _create(client, shop)
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert (made["code"], made["status"], made["revision"], made["tags"]) == ("1001", "draft", 1, ["refund"])
    assert {v["locale"]: v["title"] for v in made["versions"]} == {"en": "How to get a refund", "zh": "如何申请退款"}
    assert [(q["locale"], q["text"], q["status"]) for q in made["questions"]] == [("zh", "我要退款", "approved")]
    url = f"{ARTICLES}/{made['id']}"
    assert client.post(f"{url}/status", json={"status": "published"}, headers=_as(shop, "ann")).status_code == 403
    resp = client.post(f"{url}/status", json={"status": "published"}, headers=_as(shop, "sue"))
    assert resp.status_code == 422 and resp.headers["Content-Type"] == "application/problem+json"
    assert list(resp.get_json()["fields"]) == ["versions.zh.short"]  # the Chinese short answer is missing
    resp = client.patch(url, json={"versions": {"zh": {"title": "如何申请退款", "short": "退款三天内到账。"}}},
                        headers=_as(shop, "ann"))
    assert resp.status_code == 200 and resp.get_json()["revision"] == 2
    assert {v["locale"] for v in resp.get_json()["versions"]} == {"en", "zh"}  # PATCH keeps the other language
    resp = client.post(f"{url}/status", json={"status": "published"}, headers=_as(shop, "sue"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "published"


def test_search_ranks_published_articles_with_the_words_they_matched(client, shop) -> None:
    made = _create(client, shop, "sue", {**REFUND, "versions": {
        "zh": {"title": "如何申请退款", "short": "退款三天内到账。"}}}).get_json()
    client.post(f"{ARTICLES}/{made['id']}/status", json={"status": "published"}, headers=_as(shop, "sue"))
    draft = _create(client, shop, "ann", {"versions": {"zh": {"title": "路由器指示灯不亮"}}}).get_json()
    resp = client.get(f"{ARTICLES}?q=退款申請", headers=_as(shop, "quinn"))
    assert resp.status_code == 200
    page = resp.get_json()
    assert page["total"] == 1 and page["items"][0]["id"] == made["id"]
    assert set(page["items"][0]["matched"]) == {"退款", "申请"} and 0 < page["items"][0]["probability"] <= 1
    listed = client.get(ARTICLES, headers=_as(shop, "ann")).get_json()
    assert [i["id"] for i in listed["items"]] == [draft["id"], made["id"]]  # newest change first, drafts too
    assert [i["id"] for i in client.get(ARTICLES, headers=_as(shop, "quinn")).get_json()["items"]] == [made["id"]]
    assert client.get(f"{ARTICLES}?q=指示灯", headers=_as(shop, "ann")).get_json()["items"][0]["id"] == draft["id"]
    assert client.get(f"{ARTICLES}?tag=refund&status=published", headers=_as(shop, "ann")).get_json()["total"] == 1
    assert client.get(f"{ARTICLES}?status=nope", headers=_as(shop, "ann")).status_code == 422


def test_qa_cannot_open_a_draft_and_the_refusal_is_audited(client, shop, session_factory) -> None:
    draft = _create(client, shop).get_json()
    resp = client.get(f"{ARTICLES}/{draft['id']}", headers=_as(shop, "quinn"))
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.outcome == "denied", AuditLog.object_type == "article")) == 1
    assert client.get(f"{ARTICLES}/{draft['id']}", headers=_as(shop, "bob")).status_code == 200
    assert client.post(ARTICLES, json=REFUND, headers=_as(shop, "quinn")).status_code == 403


def test_put_replaces_the_whole_article_and_a_published_one_needs_a_manager(client, shop) -> None:
    made = _create(client, shop, "sue", {**REFUND, "versions": {
        "en": {"title": "Refunds", "short": "In 3 days."}}}).get_json()
    url = f"{ARTICLES}/{made['id']}"
    client.post(f"{url}/status", json={"status": "published"}, headers=_as(shop, "sue"))
    whole = {"versions": {"zh": {"title": "退款", "short": "三天内到账。"}}, "questions": [
        {"locale": "zh", "text": "钱怎么退"}], "note": "Chinese only"}
    resp = client.put(url, json=whole, headers=_as(shop, "ann"))
    assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"
    resp = client.put(url, json=whole, headers=_as(shop, "sam"))
    assert resp.status_code == 200
    out = resp.get_json()
    assert [v["locale"] for v in out["versions"]] == ["zh"] and out["tags"] == [] and out["product"] == ""
    assert [q["text"] for q in out["questions"]] == ["钱怎么退"] and out["status"] == "published"


def test_bad_input_is_a_problem_naming_the_field(client, shop) -> None:
    resp = client.post(ARTICLES, json={"versions": {}}, headers=_as(shop, "ann"))
    assert resp.status_code == 422 and "versions" in resp.get_json()["fields"]
    resp = client.post(ARTICLES, json={**REFUND, "category": "nope"}, headers=_as(shop, "ann"))
    assert resp.status_code == 422 and resp.get_json()["fields"] == {"category": "Unknown category nope."}
    resp = client.post(ARTICLES, json={"versions": {"en": {"title": "T", "short": "See www.example.com"}}},
                       headers=_as(shop, "ann"))
    assert resp.status_code == 422 and list(resp.get_json()["fields"]) == ["versions.en.short"]
    resp = client.post(ARTICLES, json={**REFUND, "tags": ["two words"]}, headers=_as(shop, "ann"))
    assert resp.status_code == 422 and list(resp.get_json()["fields"]) == ["tags"]
    resp = client.post(ARTICLES, json={"versions": {"fr": {"title": "Remboursement"}}}, headers=_as(shop, "ann"))
    assert resp.status_code == 422
    resp = client.patch(f"{ARTICLES}/999", json={"tags": []}, headers=_as(shop, "ann"))
    assert resp.status_code == 404


def test_a_token_does_only_what_its_scopes_say(client, shop, session_factory) -> None:
    with transaction(session_factory) as s:
        ann = s.scalars(select(User).where(User.username == "ann")).one()
        reader = tokens.mint(s, ann, services.TEST, scopes=["knowledge:read"])[1]
    headers = {"Authorization": f"Bearer {reader}"}
    assert client.get(ARTICLES, headers=headers).status_code == 200
    resp = client.post(ARTICLES, json=REFUND, headers=headers)
    assert resp.status_code == 403 and resp.get_json()["error"] == "insufficient_scope"
