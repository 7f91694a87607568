"""Many tickets about one problem, in Chromium: the pop's form offers the open tickets like what the agent
types and links the new ticket to the one chosen; a supervisor declares an incident on the problem's page and
the wallboard shows it across the top, in English and Chinese."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.db import transaction
from callcenter.events import CallRingingAgent
from callcenter.models import Ticket, User

from .deskdata import PASSWORD, build
from .support.browser import screenshot, sign_in
from .support.parcels import STUCK

pytestmark = pytest.mark.browser


def _outage(container: Any, owner: str = "ann") -> list[Ticket]:
    with transaction(container.session_factory) as s:
        user = s.scalar(select(User).where(User.username == owner))
        assert user is not None
        made = [container.tickets.create(s, Actor.system("test"), subject=subject, description=description,
                                         category="delivery", assignee_id=user.id)
                for subject, description in STUCK[:6]]
        s.flush()
        for t in made:
            s.expunge(t)
        return made


def test_the_pop_offers_similar_tickets_and_links_the_new_one(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    made = _outage(live_container)
    page = browser.new_context(locale="en-US").new_page()
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    live_container.bus.publish(CallRingingAgent(pbx="lab", linkedid="1700009000.1", interface="PJSIP/agent1001",
                                                caller_number="+12025550177", queue="support"))
    page.wait_for_selector(".intake-form #f-subject", timeout=10000)
    assert page.is_hidden(".similar-panel")  # nothing typed yet: no empty box
    page.fill("#f-subject", "快递卡在中转站")
    page.fill("#f-description", "包裹在中转站好几天了，物流一直不更新")
    page.wait_for_selector(".similar-panel:not([hidden]) .similar-list li", timeout=10000)
    target = made[1]
    row = page.locator(f".similar-list li[data-ticket='{target.number}']")
    row.locator("button.link-similar").click()
    assert row.locator("button.link-similar").inner_text() == "Will be linked"
    screenshot(page, "desk-similar-tickets-en")
    page.select_option("#f-priority", "normal")
    if page.is_visible("#f-product"):
        page.select_option("#f-product", index=1)
    page.click(".intake-form button[type=submit]")
    page.wait_for_selector(".submitted:not([hidden])", timeout=10000)
    number = str(page.inner_text(".submitted .ticket-number")).strip()
    with live_container.session_factory() as s:
        new = s.scalar(select(Ticket).where(Ticket.number == number))
        assert new is not None and new.problem_id == target.id
    page.context.close()


@pytest.mark.parametrize("locale,words", [("en-US", ("Incident mode", "Incident open")),
                                          ("zh-CN", ("故障模式", "故障进行中"))])
def test_a_supervisor_declares_an_incident_and_the_wallboard_shows_it(browser, live_server, live_container,
                                                                      locale: str, words: tuple[str, str]) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    made = _outage(live_container, "ada")
    page = browser.new_context(locale=locale).new_page()
    sign_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server}/tickets/{made[0].number}")
    assert words[0] in page.inner_text("#incident")
    page.click("#declare-incident summary")
    page.fill("#declare-incident textarea[name=message_en]", "Parcels are stuck at the Guangzhou hub.")
    page.fill("#declare-incident textarea[name=message_zh]", "广州中转站包裹积压。")
    page.click("#declare-button")
    page.wait_for_selector("#incident .incident-open", timeout=10000)
    page.goto(f"{live_server}/wallboard/")
    page.wait_for_selector("#wb-incidents .wb-incident.open", timeout=15000)
    alert = page.inner_text("#wb-incidents")
    assert made[0].number in alert and words[1] in alert
    screenshot(page, f"wallboard-incident-{locale[:2]}")
    page.context.close()
