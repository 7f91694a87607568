"""The administration pages for people, through the Flask client, on SQLite and PostgreSQL.

The admin adds users (a refused form keeps what was typed), opens a user's
page and changes every section, makes and fills a team, edits skills and
wrap-up codes; every message comes in the reader's language.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from callcenter.models import AgentProfile, AuditLog, Team, User, WrapupCode

from .deskdata import PASSWORD
from .support import rows
from .webtools import csrf_token, sign_in

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _admin(client: Any) -> str:
    sign_in(client, "ada", PASSWORD)
    return csrf_token(client, "/admin/users")


def test_the_index_and_the_nav_lead_to_every_section(client, shop) -> None:
    _admin(client)
    page = client.get("/admin/").get_data(as_text=True)
    for path in ("/admin/users", "/admin/teams", "/admin/skills", "/admin/wrapup-codes", "/admin/import",
                 "/admin/audit"):
        assert f'href="{path}"' in page, path
        assert client.get(path).status_code == 200, path
    home = client.get("/tickets/").get_data(as_text=True)
    assert 'href="/admin/"' in home and ">Users</a>" not in home  # one link in the nav now
    assert "管理" in client.get("/admin/", headers=ZH).get_data(as_text=True)


def test_the_user_list_pages_searches_and_shows_phones(client, shop, session_factory) -> None:
    _admin(client)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "PJSIP/agent1001" in page and "None" not in page
    assert "Support team" in page
    found = client.get("/admin/users?q=ANN").get_data(as_text=True)
    assert 'data-username="ann"' in found and 'data-username="bob"' not in found
    assert "Nobody matches" in client.get("/admin/users?q=zzz").get_data(as_text=True)
    from callcenter.db import transaction
    from callcenter.people import users
    from tests.support.services import TEST

    with transaction(session_factory) as s:
        for i in range(60):
            users.add_user(s, f"agent{i:02d}", "agent", TEST)
    first = client.get("/admin/users").get_data(as_text=True)
    assert 'rel="next"' in first and first.count('data-username="') == 50
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert second.count('data-username="') == 66 - 50


def test_a_refused_add_keeps_what_was_typed_and_says_why_in_chinese(client, shop, session_factory) -> None:
    token = _admin(client)
    typed = {"csrf_token": token, "username": "li.na", "display_name": "李娜", "email": "not-an-address",
             "role": "supervisor", "language": "zh", "sip_interface": "PJSIP/agent1003", "extension": "1003"}
    resp = client.post("/admin/users", data=typed, headers=ZH)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'value="李娜"' in page and 'value="PJSIP/agent1003"' in page and 'value="1003"' in page
    assert '<option value="supervisor" selected>' in page
    assert "电子邮件" in page and 'data-field="email"' in page
    created = client.post("/admin/users", data={**typed, "email": "li.na@example.com"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    password = re.search(r'<code class="secret">([^<]+)</code>', created.get_data(as_text=True))
    assert password is not None
    with session_factory() as s:
        user = s.scalar(select(User).where(User.username == "li.na"))
        assert user is not None and user.email == "li.na@example.com" and user.must_change_password
        assert password.group(1) not in str(list(s.scalars(select(AuditLog.detail))))


def test_the_user_page_changes_each_section(client, shop, session_factory) -> None:
    token = _admin(client)
    ann = shop.users["ann"]
    page = client.get(f"/admin/users/{ann}").get_data(as_text=True)
    for section in ('id="account"', 'id="access"', 'id="team"', 'id="phones"', 'id="skills"', 'id="languages"',
                    'id="load"', 'id="queues"'):
        assert section in page, section
    ok = client.post(f"/admin/users/{ann}/account", data={"csrf_token": token, "display_name": "Ann Lee",
                                                          "email": "ann@example.com", "language": "zh"})
    assert ok.status_code == 303
    assert client.post(f"/admin/users/{ann}/team", data={"csrf_token": token, "team": ""}).status_code == 303
    profile = {"csrf_token": token, "sip_interface": "PJSIP/agent1005", "extension": "1005", "languages": ["zh"],
               "capacity": "15", "seniority": "3", "queues": ["sales"], "penalty_sales": "2", "penalty_support": "7"}
    assert client.post(f"/admin/users/{ann}/profile", data=profile).status_code == 303
    bad = client.post(f"/admin/users/{ann}/profile", data={**profile, "capacity": "lots", "extension": "1002x"},
                      headers=ZH)
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert 'value="lots"' in text and 'data-field="capacity"' in text and 'data-field="extension"' in text
    reset = client.post(f"/admin/users/{ann}/password", data={"csrf_token": token})
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    deactivate = client.post(f"/admin/users/{ann}/access", data={"csrf_token": token, "role": "agent", "active": "0"})
    assert deactivate.status_code == 303
    with session_factory() as s:
        user = rows.row(s, User, ann)
        assert (user.display_name, user.email, user.language, user.team_id, user.is_active) == \
            ("Ann Lee", "ann@example.com", "zh", None, False)
        profile_row = s.scalar(select(AgentProfile).where(AgentProfile.user_id == ann))
        assert profile_row is not None
        assert (profile_row.sip_interface, profile_row.extension, profile_row.capacity) == \
            ("PJSIP/agent1005", "1005", 15)
        assert {q.queue.name: q.penalty for q in profile_row.queues} == {"sales": 2}


def test_the_last_admin_is_refused_in_the_reader_language(client, shop) -> None:
    token = _admin(client)
    resp = client.post(f"/admin/users/{shop.users['ada']}/access",
                       data={"csrf_token": token, "role": "agent", "active": "1"}, headers=ZH)
    assert resp.status_code == 400 and "最后一位" in resp.get_data(as_text=True)


def test_teams_pages_make_a_team_add_and_remove_members(client, shop, session_factory) -> None:
    token = _admin(client)
    made = client.post("/admin/teams", data={"csrf_token": token, "name": "Night shift",
                                             "lead": str(shop.users["sam"])})
    assert made.status_code == 303
    team_page = made.headers["Location"]
    team_id = int(team_page.rsplit("/", 1)[1])
    assert "Nobody in this team yet" in client.get(team_page).get_data(as_text=True)
    assert client.post(f"{team_page}/members", data={"csrf_token": token, "user": str(shop.users["bob"])}
                       ).status_code == 303
    page = client.get(team_page).get_data(as_text=True)
    assert 'data-username="bob"' in page
    refused = client.post(f"{team_page}/delete", data={"csrf_token": token})
    assert refused.status_code == 400 and "Only an empty team" in refused.get_data(as_text=True)
    assert client.post(f"{team_page}/members/{shop.users['bob']}/remove", data={"csrf_token": token}
                       ).status_code == 303
    twice = client.post("/admin/teams", data={"csrf_token": token, "name": "night SHIFT"}, headers=ZH)
    assert twice.status_code == 400 and 'value="night SHIFT"' in twice.get_data(as_text=True)
    assert client.post(f"{team_page}/delete", data={"csrf_token": token}).status_code == 303
    with session_factory() as s:
        assert s.get(Team, team_id) is None
    assert "团队" in client.get("/admin/teams", headers=ZH).get_data(as_text=True)


def test_skills_and_wrapup_codes_pages(client, shop, session_factory) -> None:
    token = _admin(client)
    assert "No skills yet" in client.get("/admin/skills").get_data(as_text=True)
    assert client.post("/admin/skills", data={"csrf_token": token, "name": "billing", "name_zh": "账单"}
                       ).status_code == 303
    bad = client.post("/admin/skills", data={"csrf_token": token, "name": "Bad Code!", "description": "kept"})
    assert bad.status_code == 400 and 'value="kept"' in bad.get_data(as_text=True)
    zh = client.get("/admin/skills", headers=ZH).get_data(as_text=True)
    assert 'value="账单"' in zh and "技能" in zh
    with session_factory() as s:
        follow_up = s.scalar(select(WrapupCode).where(WrapupCode.code == "follow_up"))
        assert follow_up is not None
        code_id = follow_up.id
    assert client.post(f"/admin/wrapup-codes/{code_id}/move", data={"csrf_token": token, "direction": "up"}
                       ).status_code == 303
    assert client.post(f"/admin/wrapup-codes/{code_id}/active", data={"csrf_token": token, "active": "0"}
                       ).status_code == 303
    page = client.get("/admin/wrapup-codes").get_data(as_text=True)
    assert page.index('data-code="follow_up"') < page.index('data-code="resolved_first_call"')
    added = client.post("/admin/wrapup-codes", data={"csrf_token": token, "code": "callback_set",
                                                     "label": "Callback arranged", "label_zh": "已安排回电",
                                                     "kind": "both"})
    assert added.status_code == 303
    with session_factory() as s:
        row = s.scalar(select(WrapupCode).where(WrapupCode.code == "callback_set"))
        assert row is not None and row.kind.value == "both"
        assert not rows.row(s, WrapupCode, code_id).is_active


def test_import_through_the_pages_previews_then_applies_what_was_seen(client, shop, session_factory) -> None:
    import io

    token = _admin(client)
    csv = "username,display_name,role,queues\nli.na,李娜,,support\nbob,Bob B.,,\n".encode("gb18030")
    preview = client.post("/admin/import", data={"csrf_token": token, "encoding": "auto",
                                                 "file": (io.BytesIO(csv), "agents.csv")},
                          content_type="multipart/form-data", headers=ZH)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and preview.headers["Cache-Control"] == "no-store"
    assert "应用将新建 1 个、更新 1 个用户" in page and "built-in" not in page and "坐席" in page
    text = re.search(r'<textarea name="text" hidden>\n(.*?)</textarea>', page, re.S)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page)
    assert text is not None and digest is not None
    with session_factory() as s:
        assert s.scalar(select(User).where(User.username == "li.na")) is None  # the preview stored nothing
    form = {"csrf_token": token, "text": text.group(1).replace("\n", "\r\n"), "digest": digest.group(1)}
    stale = client.post("/admin/import/apply", data={**form, "digest": "0" * 64})
    assert stale.status_code == 409 and "changed since the preview" in stale.get_data(as_text=True)
    done = client.post("/admin/import/apply", data=form, content_type="multipart/form-data")
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert "1 created, 1 updated, 0 unchanged." in done.get_data(as_text=True)
    with session_factory() as s:
        li = s.scalar(select(User).where(User.username == "li.na"))
        assert li is not None and li.display_name == "李娜"
        assert rows.row(s, User, shop.users["bob"]).display_name == "Bob B."
    bad = client.post("/admin/import", data={"csrf_token": token, "file": (io.BytesIO(b"name\nx\n"), "x.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "The first line must name the columns" in bad.get_data(as_text=True)
