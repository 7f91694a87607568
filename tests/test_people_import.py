"""Agents from CSV on SQLite and PostgreSQL: the dry run stores nothing, each line says what it would do
and why not, Excel's UTF-8 with a BOM and GB18030 read alike, and apply is all or nothing."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.db import transaction
from callcenter.models import AgentProfile, AuditLog, Queue, Team, User
from callcenter.people import csvfile, imports, skills, teams, users
from callcenter.people.csvfile import CsvError

from .support import rows
from .support.services import TEST

GOOD = """username,display_name,email,role,team,sip_interface,extension,skills,languages,capacity,seniority,queues
li.na,李娜,li.na@example.com,agent,Support,PJSIP/agent1001,1001,support:3;billing:1,zh;en,20,2,support;sales:2
wang.wei,王伟,,agent,Support,PJSIP/agent1002,,support,zh,,,support
sue,,,supervisor,Support,,,,,,,
"""


@pytest.fixture
def centre(session_factory: Any) -> dict[str, int]:
    """A team, two skills, two queues and one user already there (sue, to be updated)."""
    with transaction(session_factory) as s:
        team = teams.create_team(s, "Support", TEST)
        for name in ("support", "billing"):
            skills.create_skill(s, name, TEST)
        s.add_all([Queue(name="support"), Queue(name="sales")])
        sue, _ = users.add_user(s, "sue", "agent", TEST, display_name="Sue")
        return {"team": team.id, "sue": sue.id}


def _count(session_factory: Any, model: Any) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_the_dry_run_says_what_each_line_would_do_and_stores_nothing(session_factory, centre) -> None:
    before = (_count(session_factory, User), _count(session_factory, AgentProfile), _count(session_factory, AuditLog))
    with session_factory() as s:
        plan = imports.preview(s, GOOD.encode())
    assert [(ln.number, ln.username, ln.action) for ln in plan.lines] == [
        (2, "li.na", "create"), (3, "wang.wei", "create"), (4, "sue", "update")]
    assert plan.ok and plan.counts() == {"create": 2, "update": 1, "unchanged": 0, "error": 0}
    assert plan.lines[0].changes["skills"] == ("", "billing;support:3")
    assert plan.lines[0].changes["queues"] == ("", "sales:2;support")
    assert plan.lines[2].changes == {"role": ("agent", "supervisor"), "team": (None, "Support")}
    after = (_count(session_factory, User), _count(session_factory, AgentProfile), _count(session_factory, AuditLog))
    assert after == before


def test_apply_creates_and_updates_through_the_services_then_nothing_is_left_to_do(container, session_factory,
                                                                                   centre) -> None:
    with session_factory() as s:
        digest = imports.preview(s, GOOD.encode()).digest
    with transaction(session_factory) as s:
        _, passwords = imports.apply(s, GOOD, TEST, container.profiles, digest)
    assert set(passwords) == {"li.na", "wang.wei"} and all(len(p) >= 12 for p in passwords.values())
    with session_factory() as s:
        li = s.scalar(select(User).where(User.username == "li.na"))
        assert li is not None and li.agent is not None and li.must_change_password
        assert (li.display_name, li.email, li.team_id) == ("李娜", "li.na@example.com", centre["team"])
        assert {a.skill.name: a.level for a in li.agent.skills} == {"support": 3, "billing": 1}
        assert {q.queue.name: q.penalty for q in li.agent.queues} == {"support": 0, "sales": 2}
        assert (li.agent.languages, li.agent.sip_interface, li.agent.extension) == (["zh", "en"], "PJSIP/agent1001",
                                                                                   "1001")
        sue = rows.row(s, User, centre["sue"])
        assert (sue.role.value, sue.team_id, sue.display_name) == ("supervisor", centre["team"], "Sue")
        summary = s.scalars(select(AuditLog).where(AuditLog.action == "agents_imported")).one()
        assert summary.detail["counts"] == {"create": 2, "update": 1, "unchanged": 0, "error": 0}
        assert not any(p in str(list(s.scalars(select(AuditLog.detail)))) for p in passwords.values())
    with session_factory() as s:  # the same file again: nothing to do
        assert imports.preview(s, GOOD.encode()).counts()["unchanged"] == 3


def test_bad_lines_say_why_in_every_field_and_nothing_is_applied(container, session_factory, centre) -> None:
    bad = ("username,role,team,sip_interface,extension,skills,languages,capacity,queues\n"
           "ok.one,agent,Support,PJSIP/agent1003,,support:2,zh,10,support\n"
           "x y,agent,,,,,,,\n"
           "two,boss,Nowhere,agent1004,12a,cooking:2;support:9,fr,lots,nowhere\n"
           "ok.one,agent,,PJSIP/agent1003,,,,,\n"
           "three,agent,,PJSIP/agent1005,2001,,,,\n"
           "four,agent,,PJSIP/agent1005,2001,,,,\n")
    with session_factory() as s:
        plan = imports.preview(s, bad.encode())
    by_line = {ln.number: ln for ln in plan.lines}
    assert [ln.action for ln in plan.lines] == ["create", "error", "error", "error", "create", "error"]
    assert by_line[3].errors[0].field == "username"
    assert {e.field for e in by_line[4].errors} == {"role", "team", "sip_interface", "extension", "skills",
                                                     "languages", "capacity", "queues"}
    assert [(e.field, e.params) for e in by_line[5].errors] == [
        ("username", {"value": "ok.one", "line": 2}), ("sip_interface", {"value": "PJSIP/agent1003", "line": 2})]
    assert {(e.field, e.params["line"]) for e in by_line[7].errors} == {("sip_interface", 6), ("extension", 6)}
    with transaction(session_factory) as s, pytest.raises(imports.ImportRefused) as refused:
        imports.apply(s, bad, TEST, container.profiles)
    assert refused.value.code == "line_errors" and len(refused.value.plan.lines) == 6
    assert _count(session_factory, User) == 1  # only sue, from the fixture


def test_a_changed_plan_is_not_applied(container, session_factory, centre) -> None:
    with session_factory() as s:
        digest = imports.preview(s, GOOD.encode()).digest
    with transaction(session_factory) as s:
        users.edit_user(s, centre["sue"], TEST, email="sue@example.com")  # irrelevant to the file: same plan
    with session_factory() as s:
        assert imports.preview(s, GOOD.encode()).digest == digest
    with transaction(session_factory) as s:
        users.add_user(s, "wang.wei", "agent", TEST)  # line 3 is now an update, not a create
    with transaction(session_factory) as s, pytest.raises(imports.ImportRefused) as refused:
        imports.apply(s, GOOD, TEST, container.profiles, digest)
    assert refused.value.code == "stale_preview"
    assert _count(session_factory, User) == 2


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16"])
def test_excel_encodings_read_alike(session_factory, centre, encoding: str) -> None:
    """Excel's "CSV UTF-8" (a BOM), Chinese Windows' ANSI (GB18030) and "Unicode text" (UTF-16), found out."""
    text = GOOD.replace("username,display_name", "用户名,姓名").replace(",team,", ",团队,")
    with session_factory() as s:
        plan = imports.preview(s, text.encode(encoding))
    assert plan.lines[0].changes["display_name"] == (None, "李娜")
    assert [ln.action for ln in plan.lines] == ["create", "create", "update"]
    assert plan.encoding == {"utf-8-sig": "utf-8"}.get(encoding, encoding)


def test_a_file_that_cannot_be_read_is_refused_whole(session_factory, centre) -> None:
    cases = [(GOOD.encode("gb18030"), "utf-8", "undecodable"), (b"name,phone\nx,1\n", "auto", "unknown_columns"),
             (b"display_name\nLi\n", "auto", "no_username"), (b"x" * (csvfile.MAX_BYTES + 1), "auto", "too_large"),
             (("username\n" + "a1\n" * (csvfile.MAX_ROWS + 1)).encode(), "auto", "too_many_rows"),
             (b"\xff\xfe\x00\xd8", "auto", "undecodable"), (GOOD.encode(), "latin-1", "bad_encoding")]
    with session_factory() as s:
        for data, encoding, code in cases:
            with pytest.raises(CsvError) as refused:
                imports.preview(s, data, encoding)
            assert refused.value.code == code, code
    with session_factory() as s:  # semicolons (a European Excel) and empty lines are fine
        plan = imports.preview(s, b"username;role\n\nmei;qa\n")
        assert [(ln.username, ln.action) for ln in plan.lines] == [("mei", "create")]
    assert _count(session_factory, Team) == 1
