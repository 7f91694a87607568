"""The admin sets the centre up in Chromium: a team, an agent's profile (skills, queues), a CSV import
(preview, apply), in English and in Chinese, with screenshots of each page."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access import accounts
from callcenter.db import transaction
from callcenter.models import AgentProfile, Queue, Team, User
from callcenter.people import skills, users
from callcenter.wiring import Container

from .deskdata import PASSWORD
from .support.browser import screenshot, sign_in
from .support.services import TEST

pytestmark = pytest.mark.browser
CSV = """username,display_name,team,skills,languages,queues
li.na,李娜,{team},support:4,zh,support
wang.wei,王伟,{team},billing:2,zh;en,sales:1
"""


def _centre(c: Container) -> None:
    with transaction(c.session_factory) as s:
        accounts.create_user(s, "ada", "admin", PASSWORD)
        users.add_user(s, "sue", "supervisor", TEST, display_name="Sue Lin")
        users.add_user(s, "ann", "agent", TEST, display_name="Ann Lee", sip_interface="PJSIP/agent1001")
        skills.create_skill(s, "support", TEST, name_zh="技术支持")
        skills.create_skill(s, "billing", TEST, name_zh="账单")
        s.add_all([Queue(name="support", display_name="Support", display_name_zh="技术支持"),
                   Queue(name="sales", display_name="Sales", display_name_zh="销售")])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_admin_sets_up_a_team_a_profile_and_imports_agents(browser: Any, live_server: str,
                                                               live_container: Container, tmp_path: Path,
                                                               lang: str) -> None:
    c = live_container
    _centre(c)
    page = browser.new_page(locale="zh-CN" if lang == "zh" else "en-US")
    sign_in(page, live_server, "ada", PASSWORD)
    page.click("nav a[href='/admin/']")
    page.wait_for_selector("#card-teams")
    screenshot(page, f"admin-index-{lang}")

    # A team, led by Sue, with Ann in it.
    page.click("#card-teams")
    page.wait_for_selector("#no-teams")
    team = "夜班" if lang == "zh" else "Night shift"
    page.fill("#add-team input[name=name]", team)
    page.select_option("#add-team select[name=lead]", value=str(_user_id(c, "sue")))
    page.click("#add-team button[type=submit]")
    page.wait_for_selector("#no-members")
    page.select_option("#add-member select[name=user]", value=str(_user_id(c, "ann")))
    page.click("#add-member button[type=submit]")
    page.wait_for_selector("#members tr[data-username=ann]")
    screenshot(page, f"admin-team-{lang}")

    # Ann's profile: skills and queues.
    page.click("#members tr[data-username=ann] a")
    page.wait_for_selector("#profile")
    page.select_option("select[name=skill_support]", "3")
    page.select_option("select[name=skill_billing]", "1")
    page.check("#queues input[value=support]")
    page.check("#queues input[value=sales]")
    page.fill("input[name=penalty_sales]", "2")
    page.check("#languages input[value=zh]")
    page.click("#save-profile")
    page.wait_for_selector(".flash.success")
    assert page.is_checked("#queues input[value=sales]") and page.input_value("input[name=penalty_sales]") == "2"
    page.fill("input[name=extension]", "10a1")  # a wrong value comes back, with why at its field
    page.click("#save-profile")
    page.wait_for_selector("[data-field=extension]")
    assert page.input_value("input[name=extension]") == "10a1" and page.is_checked("#queues input[value=sales]")
    screenshot(page, f"admin-user-profile-{lang}")

    # A CSV of two agents: preview, then apply; their one-time passwords are shown once.
    page.goto(f"{live_server}/admin/import")
    csv_file = tmp_path / "agents.csv"
    csv_file.write_bytes(CSV.format(team=team).encode("gb18030" if lang == "zh" else "utf-8-sig"))
    page.set_input_files("#import-upload input[type=file]", str(csv_file))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-lines")
    assert page.locator("#import-lines tr.action-create").count() == 2
    screenshot(page, f"admin-import-preview-{lang}")
    page.click("#apply-import")
    page.wait_for_selector("#import-passwords")
    assert page.locator("#import-passwords code.secret").count() == 2
    screenshot(page, f"admin-import-done-{lang}")
    if lang == "zh":
        assert "坐席已导入" in page.inner_text("h1")

    with c.session_factory() as s:
        ann = s.scalar(select(AgentProfile).join(User).where(User.username == "ann"))
        assert ann is not None
        assert {a.skill.name: a.level for a in ann.skills} == {"support": 3, "billing": 1}
        assert {q.queue.name: q.penalty for q in ann.queues} == {"support": 0, "sales": 2}
        night = s.scalar(select(Team).where(Team.name == team))
        li = s.scalar(select(User).where(User.username == "li.na"))
        assert night is not None and li is not None and li.team_id == night.id and li.display_name == "李娜"
    page.close()


def _user_id(c: Container, username: str) -> int:
    with c.session_factory() as s:
        found = s.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found
