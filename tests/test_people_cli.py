"""The people commands on SQLite and PostgreSQL: user, team, agent, skill, wrapup, import agents.

Each change is audited as ``cli:<OS user>``; a refusal exits non-zero with
its reason and changes nothing; one-time passwords are printed once.
"""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from callcenter.cli import main
from callcenter.db import make_engine, make_session_factory
from callcenter.models import AgentProfile, AuditLog, Queue, Team, User


def _ok(cli: CliRunner, *args: str, input: str | None = None) -> str:
    out = cli.invoke(main, list(args), input=input)
    assert out.exit_code == 0, (args, out.output)
    return out.output


def _refused(cli: CliRunner, *args: str) -> str:
    out = cli.invoke(main, list(args))
    assert out.exit_code != 0, (args, out.output)
    return out.output


def _rows(db_url: str) -> tuple[dict[str, User], list[AuditLog]]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as s:
            found = {u.username: u for u in s.scalars(select(User))}
            for u in found.values():
                _ = (u.agent and u.agent.skills, u.agent and u.agent.queues, u.team)
                for link in (u.agent.skills if u.agent else []) + (u.agent.queues if u.agent else []):
                    _ = getattr(link, "skill", None) or getattr(link, "queue", None)
            audit = list(s.scalars(select(AuditLog).order_by(AuditLog.id)))
            s.expunge_all()
            return found, audit
    finally:
        engine.dispose()


def test_users_and_teams(cli: CliRunner, db_url: str) -> None:
    _ok(cli, "user", "add", "ada", "--role", "admin", "--password-stdin", input="a-long-password-1\n")
    _ok(cli, "user", "add", "sue", "--role", "supervisor", "--name", "Sue Lin")
    added = _ok(cli, "user", "add", "ann", "--role", "agent", "--email", "ann@example.com", "--language", "zh",
                "--sip-interface", "PJSIP/agent1001")
    assert re.search(r"one-time password: \S{12,}", added)
    _ok(cli, "team", "add", "Support", "--lead", "sue")
    _ok(cli, "team", "join", "Support", "ann", "sue")
    _ok(cli, "user", "edit", "ann", "--name", "Ann Lee", "--email", "")
    reset = _ok(cli, "user", "reset-password", "ann")
    assert "one-time password for 'ann'" in reset
    _ok(cli, "user", "role", "sue", "admin")
    _ok(cli, "user", "deactivate", "ada")  # sue is an admin now, so ada may go
    assert "last admin" in _refused(cli, "user", "deactivate", "sue")
    assert "last admin" in _refused(cli, "user", "role", "sue", "agent")
    assert "Only an empty team" in _refused(cli, "team", "delete", "Support")
    assert "There is no user nobody." in _refused(cli, "team", "join", "Support", "nobody")
    bad_phone = _refused(cli, "user", "add", "bob", "--role", "agent", "--sip-interface", "agent1002")
    assert "A desk phone is an Asterisk interface" in bad_phone
    listing = _ok(cli, "user", "list")
    assert "ann\tAnn Lee\tagent\tSupport\tPJSIP/agent1001\tactive\tnever" in listing
    assert "ada\tada\tadmin\t-\t-\tdeactivated" in listing and "bob" not in listing
    assert "Support\tsue\tann,sue" in _ok(cli, "team", "list")
    _ok(cli, "team", "leave", "Support", "ann", "sue")
    _ok(cli, "team", "rename", "Support", "Billing")
    _ok(cli, "team", "delete", "Billing")
    found, audit = _rows(db_url)
    assert (found["ann"].display_name, found["ann"].email, found["ann"].language) == ("Ann Lee", None, "zh")
    assert found["sue"].role.value == "admin" and not found["ada"].is_active
    actions = [a.action for a in audit if a.actor_name.startswith("cli:")]
    for action in ("user_created", "user_edited", "user_password_reset", "user_role_changed", "user_deactivated",
                   "team_created", "user_team_changed", "team_renamed", "team_deleted"):
        assert action in actions, action
    assert reset.split(": ")[-1].strip() not in str([a.detail for a in audit])


def test_agent_profiles_skills_and_wrapup_codes(cli: CliRunner, db_url: str) -> None:
    _ok(cli, "user", "add", "ann", "--role", "agent")
    _ok(cli, "skill", "add", "support", "--name-zh", "技术支持")
    _ok(cli, "skill", "add", "billing")
    engine = make_engine(db_url)
    with make_session_factory(engine).begin() as s:
        s.add_all([Queue(name="support"), Queue(name="sales")])
    engine.dispose()
    out = _ok(cli, "agent", "set", "ann", "--sip-interface", "PJSIP/agent1001", "--extension", "1001",
              "--skill", "support:3", "--skill", "billing", "--language", "zh", "--language", "en",
              "--capacity", "12", "--seniority", "4", "--queue", "support", "--queue", "sales:2")
    assert "queues: - -> sales:2;support" in out
    assert "nothing changed" in _ok(cli, "agent", "set", "ann", "--capacity", "12")
    _ok(cli, "agent", "set", "ann", "--no-skills", "--queue", "sales")
    assert "Unknown queues: nowhere." in _refused(cli, "agent", "set", "ann", "--queue", "nowhere")
    refused = _refused(cli, "agent", "set", "ann", "--skill", "support:9")
    assert "The level of support is a whole number" in refused
    shown = _ok(cli, "agent", "show", "ann")
    assert "queues: sales" in shown and "skills: -" in shown and "capacity: 12" in shown
    _ok(cli, "skill", "retire", "billing")
    assert "billing\t-\tretired" in _ok(cli, "skill", "list")
    _ok(cli, "wrapup", "add", "sale_made", "--label", "Sale made", "--label-zh", "已成交", "--kind", "both")
    _ok(cli, "wrapup", "move", "sale_made", "1")
    _ok(cli, "wrapup", "edit", "sale_made", "--label", "Sold")
    _ok(cli, "wrapup", "retire", "test_call")
    listing = _ok(cli, "wrapup", "list").splitlines()
    assert listing[0] == "1\tsale_made\tboth\tactive\tSold\t已成交"
    assert any(line.startswith(tuple(f"{n}\ttest_call\tno_ticket\tretired" for n in range(1, 20))) for line in listing)
    assert "already a wrap-up code" in _refused(cli, "wrapup", "add", "sale_made", "--label", "Again")
    found, audit = _rows(db_url)
    ann = found["ann"]
    assert ann.agent is not None and {q.queue.name: q.penalty for q in ann.agent.queues} == {"sales": 0}
    assert [a.detail["changes"].get("queues") for a in audit if a.action == "agent_profile_changed"] == [
        {"old": "", "new": "sales:2;support"}, {"old": "sales:2;support", "new": "sales"}]


def test_import_agents_dry_run_then_apply(cli: CliRunner, db_url: str, tmp_path: Path) -> None:
    _ok(cli, "team", "add", "Support")
    _ok(cli, "skill", "add", "support")
    engine = make_engine(db_url)
    with make_session_factory(engine).begin() as s:
        s.add(Queue(name="support"))
    engine.dispose()
    good = tmp_path / "agents.csv"
    good.write_bytes("用户名,姓名,团队,技能,队列,分机\nli.na,李娜,Support,support:3,support,1001\n"
                     "wang.wei,王伟,,,,\n".encode("gb18030"))
    dry = _ok(cli, "import", "agents", str(good))
    assert "2\tli.na\tcreate\t" in dry and "dry run: nothing was stored" in dry and "read as gb18030" in dry
    assert set(_rows(db_url)[0]) == set()
    applied = _ok(cli, "import", "agents", str(good), "--apply")
    assert len(re.findall(r"one-time password for (li\.na|wang\.wei): \S{12,}", applied)) == 2
    found, audit = _rows(db_url)
    li = found["li.na"]
    assert li.display_name == "李娜" and li.agent is not None and li.agent.extension == "1001"
    assert [a.action for a in audit if a.action == "agents_imported"] == ["agents_imported"]
    bad = tmp_path / "bad.csv"
    bad.write_text("username,team\nmei,Nowhere\n", encoding="utf-8")
    out = _refused(cli, "import", "agents", str(bad), "--apply")
    assert "2\tmei\terror\tThere is no team Nowhere." in out and "nothing was imported" in out
    assert "mei" not in _rows(db_url)[0]
    assert "not in utf-8" in _refused(cli, "import", "agents", str(good), "--encoding", "utf-8")  # said, not guessed
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(Team.name)) == "Support" and s.scalar(select(AgentProfile.id).limit(1))
    engine.dispose()
