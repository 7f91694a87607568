"""A new centre, as a newcomer sets it up: from an empty database to calls routed by what the admin chose.

What ``make run`` does first (migrations, the first admin with a one-time
password), then everything in Chromium on the real lab PBX:

1. the admin signs in, chooses a password and follows the first-run
   checklist: two queues with their own numbers, agents imported from CSV
   with their phones, a team with its lead and its agent;
2. the imported agent signs in at the desk and joins her queue; a real SIPp
   caller dials the queue's number, her desk phone (a SIPp phone on
   PJSIP/agent1003) answers, the pop becomes a ticket, and the last step of
   the checklist ticks itself; the supervisor of her team sees the ticket
   and the call;
3. the admin moves her to the other queue: Asterisk's membership follows
   with no hand edit, and the next call, to the other queue's number,
   rings her.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access import accounts
from callcenter.ami.actions import Actions
from callcenter.db import transaction
from callcenter.models import Call, Ticket, User
from callcenter.queues import asterisk
from callcenter.wiring import Container
from tests.support.agi_peer import running_server
from tests.support.lab_fixtures import follow_lab
from tests.support.waiting import wait_for

from .support.browser import file_ticket, screenshot, sign_in
from .support.sipp import Agent, Caller, require_tool

pytestmark = [pytest.mark.pbx, pytest.mark.browser]
PHONE, EXTENSION = "PJSIP/agent1003", 1003  # a SIPp phone on 5093 (statically only in the lab's sales queue)
RETAIL, WHOLESALE = ("retail", "120"), ("wholesale", "121")
AGENTS_CSV = """username,display_name,role,sip_interface,languages,queues
lin,林晓,agent,PJSIP/agent1003,zh;en,retail
zhou,周敏,supervisor,,zh,
"""
NEW_PASSWORD = "a-centre-of-our-own-1"


@pytest.fixture
def centre(lab_pbx: Any, live_container: Container) -> Iterator[Container]:
    """The live app following the lab, with our IVR on 4573 and the AMI service (bridge, queue publisher)."""
    require_tool("sipp")
    c = live_container
    follow_lab(c, lab_pbx)
    c.settings.ivr.survey_offer = False
    bridge = c.ami()
    control = c.controls.get("lab")
    try:
        with running_server(c.settings, c.session_factory, port=4573):
            bridge.start()
            wait_for(lambda: bridge.connected() and control.connected(), 30, "the AMI bridge and control link")
            yield c
    finally:
        if bridge.alive():
            bridge.stop()
        for queue, _ in (RETAIL, WHOLESALE):  # leave the lab without our test queues and their member
            control.act(functools.partial(Actions.queue_remove, queue=queue, interface=PHONE))
        asterisk.write(lab_pbx.path("/etc/asterisk") / asterisk.CONF_NAME, asterisk.render([]))
        control.act(lambda a: a.queue_reload())


def test_a_new_centre_sets_itself_up_and_takes_calls(centre: Container, browser: Any, live_server: str,
                                                    tmp_path: Path) -> None:
    c = centre
    with transaction(c.session_factory) as s:  # what `make run` prints the first time
        first_password = accounts.ensure_first_admin(s)
    assert first_password

    admin = browser.new_page()
    _first_sign_in(admin, live_server, "admin", first_password)
    admin.wait_for_selector("#checklist")
    assert _todo(admin) == ["agents", "phones", "team", "test_call"]
    screenshot(admin, "journey-checklist-empty")

    for name, did in (RETAIL, WHOLESALE):
        _define_queue(admin, live_server, name, did)
    passwords = _import_agents(admin, live_server, tmp_path)
    admin.goto(f"{live_server}/")
    assert _todo(admin) == ["team", "test_call"]  # the CSV gave each agent their phone
    _make_team(admin, live_server, c)
    admin.goto(f"{live_server}/")
    assert _todo(admin) == ["test_call"]
    screenshot(admin, "journey-checklist-three-done")

    # The agent's first day: her own password, the desk, her queue.
    agent = browser.new_page()
    _first_sign_in(agent, live_server, "lin", passwords["lin"])
    agent.goto(f"{live_server}/desk/")
    agent.wait_for_selector("#link-state.on", timeout=10000)
    agent.wait_for_selector("#presence-signin:not([hidden])")
    agent.select_option("#presence-phone", "desk")
    assert agent.is_checked("#presence-queues input[value=retail]")
    agent.click("#presence-signin-button")
    wait_for(lambda: _members(c).get(RETAIL[0]) == "dynamic", 15, "Asterisk to have lin in retail")

    # A caller dials the retail number: lin's phone rings, the pop becomes a ticket.
    number = _take_a_call(agent, tmp_path, "first", RETAIL[1], "+8613912345678", "发票金额错误")
    call = _call_of(c, number)
    assert call.queue_name == RETAIL[0] and call.agent_id == _user_id(c, "lin") and call.ticket_id is not None
    screenshot(agent, "journey-first-ticket")
    def checklist_done() -> bool:
        admin.goto(f"{live_server}/")
        return not _todo(admin)
    wait_for(checklist_done, 20, "the checklist's last step to tick itself")
    assert admin.get_attribute("#step-test_call", "data-done") == "yes"
    screenshot(admin, "journey-checklist-done")

    # Her supervisor sees the ticket and the call it came from.
    boss = browser.new_page()
    _first_sign_in(boss, live_server, "zhou", passwords["zhou"])
    boss.goto(f"{live_server}/tickets/")
    boss.click(f"text={number}")
    boss.wait_for_selector("text=发票金额错误")
    assert "139 1234 5678" in boss.inner_text("main")
    screenshot(boss, "journey-supervisor-ticket")

    # The admin moves lin from retail to wholesale; Asterisk follows, and so does the next call.
    _move_queues(admin, live_server, c, remove=RETAIL[0], add=WHOLESALE[0])
    wait_for(lambda: _members(c) == {WHOLESALE[0]: "dynamic"}, 20, "Asterisk to move lin to wholesale")
    number = _take_a_call(agent, tmp_path, "second", WHOLESALE[1], "+8613987654321", "批发订单查询")
    call = _call_of(c, number)
    assert call.queue_name == WHOLESALE[0] and call.agent_id == _user_id(c, "lin")
    screenshot(agent, "journey-second-ticket")


# -- the steps ------------------------------------------------------------------------------------
def _first_sign_in(page: Any, base: str, username: str, one_time: str) -> None:
    """A one-time password leads to "choose your own" before anything else."""
    sign_in(page, base, username, one_time)
    page.wait_for_url("**/auth/password**")
    page.fill("#current", one_time)
    page.fill("#new", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("#submit")
    page.wait_for_url(lambda url: "/auth/" not in url)


def _todo(page: Any) -> list[str]:
    return [s.get_attribute("id").removeprefix("step-") for s in page.query_selector_all("li.step[data-done=no]")]


def _define_queue(page: Any, base: str, name: str, did: str) -> None:
    page.goto(f"{base}/admin/queues/new")
    page.fill('input[name="name"]', name)
    page.fill('input[name="display_name"]', name.capitalize())
    page.fill('input[name="did"]', did)
    page.select_option('select[name="default_form"]', "support")
    page.click("#queue-form button.primary")
    page.wait_for_url(f"**/admin/queues/{name}/edit")


def _import_agents(page: Any, base: str, tmp_path: Path) -> dict[str, str]:
    """The CSV through the import page (preview, then apply); the one-time passwords it shows, by user."""
    page.goto(f"{base}/admin/import")
    csv_file = tmp_path / "agents.csv"
    csv_file.write_text(AGENTS_CSV, encoding="utf-8-sig")  # as Excel saves "CSV UTF-8"
    page.set_input_files("#import-upload input[type=file]", str(csv_file))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-lines")
    assert page.locator("#import-lines tr.action-create").count() == 2
    page.click("#apply-import")
    page.wait_for_selector("#import-passwords")
    passwords = {}
    for row in page.query_selector_all("#import-passwords tr"):
        cells = row.query_selector_all("td")
        if cells:
            passwords[cells[0].inner_text().strip()] = cells[1].inner_text().strip()
    assert set(passwords) == {"lin", "zhou"}
    screenshot(page, "journey-import-done")
    return passwords


def _make_team(page: Any, base: str, c: Container) -> None:
    page.goto(f"{base}/admin/teams")
    page.fill("#add-team input[name=name]", "零售组")
    page.select_option("#add-team select[name=lead]", value=str(_user_id(c, "zhou")))
    page.click("#add-team button[type=submit]")
    page.wait_for_selector("#no-members")
    page.select_option("#add-member select[name=user]", value=str(_user_id(c, "lin")))
    page.click("#add-member button[type=submit]")
    page.wait_for_selector("#members tr[data-username=lin]")


def _move_queues(page: Any, base: str, c: Container, remove: str, add: str) -> None:
    page.goto(f"{base}/admin/users/{_user_id(c, 'lin')}")
    page.uncheck(f"#queues input[value={remove}]")
    page.check(f"#queues input[value={add}]")
    page.click("#save-profile")
    page.wait_for_selector(".flash.success")


def _take_a_call(page: Any, tmp_path: Path, name: str, did: str, caller_id: str, subject: str) -> str:
    """A SIPp caller dials ``did``; lin's SIPp desk phone answers; she files the pop's ticket."""
    with Agent(tmp_path / f"{name}-phone", EXTENSION, talk_ms=8000):
        caller = Caller(tmp_path / f"{name}-caller", did, caller_id=caller_id)
        caller.start()
        try:
            page.wait_for_selector("#pop:not([hidden]) .intake-form #f-subject", timeout=40000)
            number = file_ticket(page, subject, f"{subject}（来电 {caller_id}）", "normal", "broadband")
            page.click("#pop-next")  # "Back to waiting", the labelled way on once the ticket is filed
            page.wait_for_selector("#pop", state="hidden")
        finally:
            result = caller.wait(60)
        assert result.ok, f"the SIPp call did not complete: {result}"
    return number


# -- what the database and Asterisk say ------------------------------------------------------------
def _user_id(c: Container, username: str) -> int:
    with c.session_factory() as s:
        found = s.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def _members(c: Container) -> dict[str, str]:
    """lin's phone's queues in Asterisk, of ours: queue -> membership (dynamic, static)."""
    found = c.controls.get("lab").act(functools.partial(Actions.queue_members, interface=PHONE))
    return {m["Queue"]: m.get("Membership", "") for m in found if m["Queue"] in (RETAIL[0], WHOLESALE[0])}


def _call_of(c: Container, number: str) -> Call:
    """The call the ticket was filed from, once the bridge has written it whole."""
    def ended() -> Call | None:
        with c.session_factory() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.number == number))
            call = s.get(Call, ticket.origin_call_id) if ticket and ticket.origin_call_id else None
            if call is not None and call.ended_at is not None:
                s.expunge(call)
                return call
            return None
    found: Call = wait_for(ended, 30, f"the call of ticket {number} to be written")
    return found
