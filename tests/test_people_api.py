"""The administration API on SQLite and PostgreSQL: users, teams, agent profiles, skills, wrap-up codes.

Admins only, with admin:read / admin:write; refusals are problems naming
each wrong field (409 for a clash); every change is audited as the API
user, and a created user's one-time password is in the answer once.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from callcenter.access import scopes as scope_rules
from callcenter.access import tokens as api_tokens
from callcenter.db import transaction
from callcenter.models import AgentProfile, AuditLog, User

from .support import rows, services


def _as(client: Any, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, json: Any = None) -> Any:
        return client.open(f"/api/v1{path}", method=method, headers=headers, json=json)
    return call


def test_users_are_listed_created_and_changed(client, shop, session_factory) -> None:
    api = _as(client, shop.tokens["ada"])
    listed = api("GET", "/users?q=a&limit=2").get_json()
    assert listed["total"] == 3 and [u["username"] for u in listed["items"]] == ["ada", "ann"]  # and sam
    created = api("POST", "/users", {"username": "li.na", "role": "agent", "display_name": "李娜", "language": "zh",
                                     "sip_interface": "PJSIP/agent1005", "extension": "1005"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    body = created.get_json()
    assert body["one_time_password"] and body["sip_interface"] == "PJSIP/agent1005" and body["language"] == "zh"
    again = api("POST", "/users", {"username": "li.na"})
    assert again.status_code == 409 and again.get_json()["fields"] == {"username": "The user li.na already exists."}
    taken = api("POST", "/users", {"username": "tom", "extension": "1005"})
    assert taken.status_code == 409 and "extension" in taken.get_json()["fields"]
    changed = api("PATCH", f"/users/{body['id']}", {"role": "supervisor", "team_id": None, "email": "li@example.com"})
    assert changed.status_code == 200 and changed.get_json()["role"] == "supervisor"
    last = api("PATCH", f"/users/{shop.users['ada']}", {"active": False})
    assert last.status_code == 409
    assert last.get_json()["fields"] == {"active": "The last admin must stay an active admin."}
    assert api("GET", "/users/999").status_code == 404
    with session_factory() as s:
        actions = [(a.action, a.actor_name, a.detail.get("via")) for a in s.scalars(
            select(AuditLog).where(AuditLog.object_id == str(body["id"])).order_by(AuditLog.id))]
        assert ("user_created", "ada", "api") in actions and ("user_role_changed", "ada", "api") in actions
        assert body["one_time_password"] not in str(list(s.scalars(select(AuditLog.detail))))


def test_teams_with_lead_and_members(client, shop, session_factory) -> None:
    api = _as(client, shop.tokens["ada"])
    made = api("POST", "/teams", {"name": "Night", "supervisor_id": shop.users["sam"],
                                  "members": [shop.users["bob"], shop.users["ann"]]})
    assert made.status_code == 201
    team = made.get_json()
    assert sorted(team["members"]) == sorted([shop.users["bob"], shop.users["ann"]])
    patched = api("PATCH", f"/teams/{team['id']}", {"members": [shop.users["bob"]], "supervisor_id": None})
    assert patched.get_json()["members"] == [shop.users["bob"]] and patched.get_json()["supervisor_id"] is None
    bad_lead = api("PATCH", f"/teams/{team['id']}", {"supervisor_id": shop.users["ann"]})
    assert bad_lead.status_code == 422 and "supervisor_id" in bad_lead.get_json()["fields"]
    assert api("POST", "/teams", {"name": "night"}).status_code == 409
    assert [t["name"] for t in api("GET", "/teams").get_json()["items"]] == ["Night", "Support team"]
    with session_factory() as s:
        assert rows.row(s, User, shop.users["ann"]).team_id is None  # she left the support team for Night, then Night


def test_a_profile_is_read_and_replaced(client, shop, session_factory) -> None:
    api = _as(client, shop.tokens["ada"])
    ann = shop.users["ann"]
    assert api("POST", "/skills", {"name": "billing", "name_zh": "账单"}).status_code == 201
    before = api("GET", f"/users/{ann}/profile").get_json()
    assert before["sip_interface"] == "PJSIP/agent1001" and before["queues"] == {"support": 0}
    put = api("PUT", f"/users/{ann}/profile", {"sip_interface": "PJSIP/agent1001", "skills": {"billing": 4},
                                               "languages": ["zh"], "capacity": 8, "seniority": 5,
                                               "queues": {"support": 0, "sales": 3}})
    assert put.status_code == 200
    assert put.get_json() == {"user_id": ann, "sip_interface": "PJSIP/agent1001", "extension": None,
                              "skills": {"billing": 4}, "languages": ["zh"], "capacity": 8, "seniority": 5,
                              "queues": {"sales": 3, "support": 0}}
    bad = api("PUT", f"/users/{ann}/profile", {"skills": {"cooking": 2}, "queues": {"nowhere": 1},
                                               "sip_interface": "PJSIP/agent1002"})
    assert bad.status_code == 409  # bob's desk phone clashes; every wrong field is named
    assert set(bad.get_json()["fields"]) == {"skills", "queues", "sip_interface"}
    out_of_range = api("PUT", f"/users/{ann}/profile", {"skills": {"billing": 9}})
    assert out_of_range.status_code == 422 and out_of_range.get_json()["fields"]
    with session_factory() as s:
        profile = s.scalar(select(AgentProfile).where(AgentProfile.user_id == ann))
        assert profile is not None and profile.capacity == 8 and profile.seniority == 5


def test_skills_and_wrapup_codes(client, shop) -> None:
    api = _as(client, shop.tokens["ada"])
    skill = api("POST", "/skills", {"name": "vip", "description": "Gold and platinum callers"}).get_json()
    retired = api("PATCH", f"/skills/{skill['id']}", {"active": False, "name_zh": "贵宾"}).get_json()
    assert (retired["is_active"], retired["name_zh"]) == (False, "贵宾")
    assert api("POST", "/skills", {"name": "Not A Code"}).status_code == 422
    code = api("POST", "/wrapup-codes", {"code": "sale_made", "label": "Sale made", "kind": "both"}).get_json()
    moved = api("PATCH", f"/wrapup-codes/{code['id']}", {"position": 0, "label_zh": "已成交"}).get_json()
    assert (moved["position"], moved["label_zh"]) == (0, "已成交")
    assert api("GET", "/wrapup-codes").get_json()["items"][0]["code"] == "sale_made"
    assert api("PATCH", "/wrapup-codes/999", {"active": False}).status_code == 404


def test_admin_scopes_and_roles(client, shop, session_factory) -> None:
    with transaction(session_factory) as s:
        ada = rows.row(s, User, shop.users["ada"])
        reader = api_tokens.mint(s, ada, services.TEST, scopes=["admin:read"])[1]
        tickets_only = api_tokens.mint(s, ada, services.TEST, scopes=scope_rules.parse("read write"))[1]
    assert _as(client, reader)("GET", "/users").status_code == 200
    refused = _as(client, reader)("POST", "/skills", {"name": "vip"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "insufficient_scope"
    assert _as(client, tickets_only)("POST", "/skills", {"name": "vip"}).status_code == 201  # write is every :write
    for who in ("ann", "sue", "quinn"):
        assert _as(client, shop.tokens[who])("GET", "/users").status_code == 403
