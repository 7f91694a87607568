"""Finding 10 (API): every answer under /api/ is RFC 9457 problem JSON, never a 500 or Werkzeug's HTML."""
from __future__ import annotations

import pytest

BIG = "1" * 30
PROBLEM = "application/problem+json"


def _auth(shop, who: str = "ada") -> dict[str, str]:
    return {"Authorization": f"Bearer {shop.tokens[who]}"}


def _problem(resp, status: int | tuple[int, ...]):
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == PROBLEM, resp.mimetype
    doc = resp.get_json()
    assert {"type", "title", "status", "detail", "error", "fields"} <= set(doc), doc
    assert doc["status"] == resp.status_code and isinstance(doc["fields"], dict)
    return doc


BAD_QUERIES = [
    ("/api/v1/tickets?to=9999-12-31", "to"),
    ("/api/v1/tickets?from=0000-01-01", "from"),
    ("/api/v1/tickets?from=2026-13-45", "from"),
    ("/api/v1/tickets?from=yesterday", "from"),
    ("/api/v1/calls?to=9999-12-31", "to"),
    ("/api/v1/calls?from=2026-02-30", "from"),
    ("/api/v1/tickets?status=cosmic", "status"),
    ("/api/v1/tickets?priority=cosmic", "priority"),
    ("/api/v1/tickets?sla=cosmic", "sla"),
    ("/api/v1/callbacks?status=cosmic", "status"),
    ("/api/v1/calls?disposition=cosmic", "disposition"),
    (f"/api/v1/tickets?queue={BIG}", "queue"),
    (f"/api/v1/tickets?assignee={BIG}", "assignee"),
    ("/api/v1/tickets?assignee=%C2%B2", "assignee"),  # '²' passes str.isdigit() but not int()
    (f"/api/v1/tickets?offset={BIG}", "offset"),
    (f"/api/v1/calls?limit={BIG}", "limit"),
    ("/api/v1/calls?limit=-1", "limit"),
    ("/api/v1/surveys?offset=x", "offset"),
    (f"/api/v1/transcripts/search?q=hello&agent={BIG}", "agent"),
    (f"/api/v1/transcripts/search?q=hello&offset={BIG}", "offset"),
    ("/api/v1/tickets?category=a%00b", "category"),
]


@pytest.mark.parametrize(("url", "field"), BAD_QUERIES)
def test_bad_query_values_name_the_field(client, shop, url: str, field: str) -> None:
    doc = _problem(client.get(url, headers=_auth(shop)), (400, 422))
    assert field in doc["fields"], doc


@pytest.mark.parametrize("url", [f"/api/v1/calls/{BIG}", f"/api/v1/calls/{BIG}/transcript",
                                 f"/api/v1/customers/{BIG}", f"/api/v1/tickets/{BIG}", "/api/v1/no/such/thing",
                                 "/api/v1/calls/abc", "/api/nothing", "/api/v1/customers/%C2%B2"])
def test_unknown_paths_and_huge_ids_are_404_problems(client, shop, url: str) -> None:
    _problem(client.get(url, headers=_auth(shop)), 404)


def test_wrong_methods_are_405_problems(client, shop) -> None:
    _problem(client.delete("/api/v1/tickets", headers=_auth(shop)), 405)
    _problem(client.put("/api/v1/calls", headers=_auth(shop)), 405)
    assert client.get("/api/v1/tickets?_method=POST", headers=_auth(shop)).status_code == 200
    _problem(client.get("/api/v1/calls?_method=DELETE&limit=x", headers=_auth(shop)), 422)


def test_auth_problems_are_401_and_403(client, shop) -> None:
    _problem(client.get("/api/v1/tickets"), 401)
    _problem(client.get("/api/v1/tickets", headers={"Authorization": "Bearer nope"}), 401)
    _problem(client.get("/api/v1/surveys", headers=_auth(shop, "ann")), 403)


BAD_BODIES = [
    ("[" * 100_000, "application/json"),
    ("{" * 100_000, "application/json"),
    ('{"subject": "x"' + ', "a": [' * 5000, "application/json"),
    (b"\xff\xfe{\"subject\": \"x\"}", "application/json"),
    ('{"subject": "x"}', "text/plain"),
    ('{"subject": "x"}', "application/x-www-form-urlencoded"),
    ("", "application/json"),
    ("[]", "application/json"),
    ('"x"', "application/json"),
    ("null", "application/json"),
    ("1e999999", "application/json"),
    ("{'subject': 'x'}", "application/json"),
]


@pytest.mark.parametrize(("data", "content_type"), BAD_BODIES)
def test_bad_bodies_are_400_problems(client, shop, data: str | bytes, content_type: str) -> None:
    doc = _problem(client.post("/api/v1/tickets", headers=_auth(shop), data=data, content_type=content_type), 400)
    assert doc["fields"], doc


@pytest.mark.parametrize("body", [
    {"subject": "x", "customer_id": int(BIG)}, {"subject": "x", "call_id": int(BIG)},
    {"subject": "x", "customer_id": -1}, {"subject": "x\x00y"},
])
def test_out_of_range_ids_and_nul_in_bodies_are_422(client, shop, body: dict[str, object]) -> None:
    _problem(client.post("/api/v1/tickets", headers=_auth(shop), json=body), 422)


def test_callback_due_far_in_the_future_is_422(client, shop) -> None:
    resp = client.post("/api/v1/callbacks", headers=_auth(shop, "ann"),
                       json={"number": "+12125550100", "due_at": "9999-12-31T23:59:59-23:59"})
    assert "due_at" in _problem(resp, 422)["fields"]


def test_too_large_bodies_are_413_problems(client, shop) -> None:
    big = '{"subject": "' + "x" * (3 * 1024 * 1024) + '"}'
    _problem(client.post("/api/v1/tickets", headers=_auth(shop), data=big, content_type="application/json"), 413)


def test_server_errors_are_500_problems(app, client, shop, monkeypatch: pytest.MonkeyPatch) -> None:
    from web.api import surveys

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(surveys, "page", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    doc = _problem(client.get("/api/v1/surveys", headers=_auth(shop)), 500)
    assert "boom" not in doc["detail"]


def test_openapi_error_schema_is_problem_details(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "error", "fields"} <= set(problem["properties"])
    resp = doc["paths"]["/api/v1/tickets"]["get"]["responses"]
    assert PROBLEM in resp["422"]["content"] and "400" in resp
