"""Every role against every endpoint, own and others' records: only allowed cells succeed.

Each refusal must also leave an audit row (outcome "denied").
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from callcenter.models import AuditLog

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

ROLES = ("ann", "bob", "sue", "sam", "quinn", "ada")  # agent, agent, supervisor, supervisor, qa, admin
EVERYONE = set(ROLES)
DESK = {"ann", "bob", "sue", "sam", "ada"}

# (method, url, users allowed, status when allowed); {t1}/{t2} tickets, {c1}/{c2} calls, {r1}/{r2} recordings.
# Record 1 belongs to ann (sue's team); record 2 to bob (no team).
PAGES = [
    ("GET", "/", EVERYONE, 200),
    ("GET", "/desk/", DESK, 200),
    ("GET", "/tickets/", EVERYONE, 200),
    ("GET", "/tickets/{t1}", {"ann", "sue", "quinn", "ada"}, 200),
    ("GET", "/tickets/{t2}", {"bob", "quinn", "ada"}, 200),
    ("GET", "/review/", {"sue", "sam", "ada"}, 200),
    ("GET", "/admin/forms", {"ada"}, 200),
    ("GET", "/admin/forms/support", {"ada"}, 200),
    ("GET", "/admin/users", {"ada"}, 200),
    ("GET", "/admin/audit", {"ada"}, 200),
    ("GET", "/recordings/{r1}", {"ann", "sue", "quinn", "ada"}, 200),
    ("GET", "/recordings/{r2}", {"bob", "quinn", "ada"}, 200),
    ("GET", "/desk/calls/{c1}/form", {"ann", "sue", "ada"}, 200),
    ("GET", "/desk/calls/{c2}/form", {"bob", "ada"}, 200),
    ("POST", "/tickets/{t1}/notes", {"ann", "sue", "ada"}, 303),
    ("POST", "/tickets/{t2}/update", {"bob", "ada"}, 303),
    # Data governance (issue 8): supervisors look, the admin acts; an unconfirmed erasure is a 400.
    ("GET", "/admin/erasure?q=wang", {"sue", "sam", "ada"}, 200),
    ("GET", "/admin/erasure/{cu}", {"sue", "sam", "ada"}, 200),
    ("POST", "/admin/erasure/{cu}", {"ada"}, 400),
    ("GET", "/admin/retention", {"sue", "sam", "ada"}, 200),
    ("POST", "/admin/retention/purge", {"ada"}, 303),
    ("GET", "/reports/daily?date=2026-11-23", {"sue", "sam", "ada"}, 200),
    # QA workspace (issue 7): agents see only their own calls' transcripts; search, scoring, trends for QA roles.
    ("GET", "/qa/", {"sue", "sam", "quinn", "ada"}, 200),
    ("GET", "/qa/calls/{c1}", {"ann", "sue", "quinn", "ada"}, 200),
    ("GET", "/qa/calls/{c2}", {"bob", "quinn", "ada"}, 200),
    ("POST", "/qa/calls/{c1}/reviews", {"sue", "quinn", "ada"}, 400),  # allowed; no scorecard chosen
    ("GET", "/qa/agents", {"sue", "sam", "quinn", "ada"}, 200),
    ("GET", "/qa/scorecards", {"quinn", "ada"}, 200),
    ("GET", "/qa/rules", {"quinn", "ada"}, 200),
    ("POST", "/qa/rules/apply", {"quinn", "ada"}, 303),
]
API = [
    ("GET", "/api/v1/tickets", EVERYONE, 200),
    ("GET", "/api/v1/tickets/{t1}", {"ann", "sue", "quinn", "ada"}, 200),
    ("GET", "/api/v1/tickets/{t2}", {"bob", "quinn", "ada"}, 200),
    ("GET", "/api/v1/calls", EVERYONE, 200),
    ("GET", "/api/v1/calls/{c1}", {"ann", "sue", "quinn", "ada"}, 200),
    ("GET", "/api/v1/calls/{c2}", {"bob", "quinn", "ada"}, 200),
    ("GET", "/api/v1/customers", DESK, 200),
    ("GET", "/api/v1/callbacks", DESK, 200),
    ("GET", "/api/v1/surveys", {"sue", "sam", "quinn", "ada"}, 200),
    ("POST", "/api/v1/tickets", DESK, 201),
    ("PATCH", "/api/v1/tickets/{t1}", {"ann", "sue", "ada"}, 200),
    # QA workspace (issue 7)
    ("GET", "/api/v1/transcripts/search?q=refund", {"sue", "sam", "quinn", "ada"}, 200),
    ("GET", "/api/v1/calls/{c1}/transcript", {"ann", "sue", "quinn", "ada"}, 200),
    ("GET", "/api/v1/calls/{c2}/transcript", {"bob", "quinn", "ada"}, 200),
]


def _url(template: str, shop) -> str:  # type: ignore[no-untyped-def]
    return template.format(t1=shop.ticket_number, t2=shop.other_ticket_number, c1=shop.call_id,
                           c2=shop.other_call_id, r1=shop.recording_id, r2=shop.other_recording_id,
                           cu=shop.customer_id)


def _denials(session_factory) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.outcome == "denied")) or 0


@pytest.mark.parametrize("who", ROLES)
def test_pages(app, shop, session_factory, who: str) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    token = csrf_token(client, "/tickets/")
    for method, template, allowed, ok in PAGES:
        url = _url(template, shop)
        before = _denials(session_factory)
        if method == "GET":
            resp = client.get(url)
        else:
            resp = client.post(url, data={"csrf_token": token, "body": "checked", "status": "open"})
        if who in allowed:
            assert resp.status_code == ok, (who, method, url, resp.status_code)
        else:
            assert resp.status_code == 403, (who, method, url, resp.status_code)
            assert _denials(session_factory) == before + 1, ("refusal not audited", who, url)


@pytest.mark.parametrize("who", ROLES)
def test_api(client, shop, session_factory, who: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {shop.tokens[who]}"}
    bodies = {"POST": {"subject": "From the CRM", "priority": "high"}, "PATCH": {"priority": "urgent"}}
    for method, template, allowed, ok in API:
        url = _url(template, shop)
        before = _denials(session_factory)
        resp = client.open(url, method=method, headers=headers, json=bodies.get(method))
        if who in allowed:
            assert resp.status_code == ok, (who, method, url, resp.status_code, resp.get_json())
        else:
            assert resp.status_code in (403, 404), (who, method, url, resp.status_code)
            assert resp.get_json()["error"] in ("forbidden", "not_found")
            assert _denials(session_factory) == before + 1, ("refusal not audited", who, url)


def test_anonymous_gets_nothing(client, shop) -> None:  # type: ignore[no-untyped-def]
    for method, template, _, _ in PAGES:
        resp = client.open(_url(template, shop), method=method)
        assert resp.status_code in (302, 400), template  # to sign-in, or CSRF refusal for POST
        if resp.status_code == 302:
            assert "/auth/login" in resp.headers["Location"]
    for method, template, _, _ in API:
        assert client.open(_url(template, shop), method=method).status_code == 401
    bad = client.get("/api/v1/tickets", headers={"Authorization": "Bearer cc_not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["error"] == "unauthorized"
