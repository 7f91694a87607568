"""The pop's CRM panel in Chromium, against a real HTTP CRM that takes 5 s to answer: the pop shows at once,
the panel fills in later and pre-fills the form (never over what the agent typed); a CRM that is down says so."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter import migrations
from callcenter.calls.records import ensure_call
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.events import CallRingingAgent
from callcenter.forms import catalog
from callcenter.wiring import Container

from .deskdata import PASSWORD, build
from .support import services
from .support.browser import screenshot, sign_in
from .support.crm_server import Crm
from .support.templates import Templates

pytestmark = pytest.mark.browser
RECORD = {"name": "王芳", "orders": [{"number": "SO-88412"}], "contract": {"plan": "光纤 500M"}, "credit": "good"}
EXTRA_FIELDS = """
[[fields]]
name = "order_number"
label = "Order"
prefill = "crm.last_order"

[[fields]]
name = "plan_note"
label = "Plan"
prefill = "crm.plan"
"""


@pytest.fixture
def crm() -> Iterator[Crm]:
    server = Crm(records={"+8613800138000": RECORD}, delay=5.0).start()
    yield server
    server.stop()


@pytest.fixture
def live_container(tmp_path: Path, crm: Crm, _templates: Templates) -> Iterator[Container]:
    """The browser suite's container, with the CRM set up."""
    settings = Settings(
        instance_dir=tmp_path / "instance", database={"url": f"sqlite:///{tmp_path / 'ui.db'}"},
        lab={"enabled": False}, web={"secret_key": "ui-test", "port": 0}, recordings={"dir": tmp_path / "recordings"},
        crm={"urls": [f"{crm.base}/customers?phone={{phone}}"], "headers": {"X-Api-Key": "k-123"},
             "timeout_seconds": 8, "fields": [
                 {"name": "last_order", "path": "orders.0.number", "label": "Last order", "label_zh": "最近订单"},
                 {"name": "plan", "path": "contract.plan", "label": "Plan", "label_zh": "套餐"},
                 {"name": "credit", "path": "credit", "label": "Credit status", "label_zh": "信用状况"}]})
    _templates.sqlite(tmp_path / "ui.db")
    container = Container(settings)
    migrations.upgrade(container.engine)
    yield container
    container.close()


def _ring(container: Container, linkedid: str, number: str, interface: str) -> None:
    with transaction(container.session_factory) as s:
        ensure_call(s, "lab", linkedid, caller_number=number, queue_name="support", ivr={"category": "support"})
    container.bus.publish(CallRingingAgent(pbx="lab", linkedid=linkedid, interface=interface, caller_number=number,
                                           queue="support", wait_seconds=3, ivr={"category": "support"}))


def _desk(browser: Any, base: str, username: str, errors: list[str]) -> Any:
    page = browser.new_page(locale="en-US")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base, username, PASSWORD)
    page.goto(f"{base}/desk/")
    page.wait_for_selector("#link-state.on", timeout=10000)
    return page


def test_the_pop_comes_first_and_the_crm_fills_in_later(browser, live_server, live_container, crm) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    text = (catalog.DEFINITIONS / "support.toml").read_text(encoding="utf-8") + EXTRA_FIELDS
    with transaction(live_container.session_factory) as s:
        catalog.save_version(s, catalog.parse(text), services.TEST, text=text)
    errors: list[str] = []
    page = _desk(browser, live_server, "ann", errors)
    _ring(live_container, "1700000700.1", "+8613800138000", "PJSIP/agent1001")
    page.wait_for_selector("#pop:not([hidden])", timeout=5000)
    page.wait_for_selector(".intake-form #f-order_number", timeout=5000)
    # The caller and the form are here while the CRM is still thinking.
    assert page.get_attribute("#pop-crm", "data-state") == "asking"
    assert page.inner_text("#pop-crm-state") == "Asking the CRM…"
    assert page.input_value("#f-order_number") == ""
    page.fill("#f-plan_note", "typed by ann")
    screenshot(page, "desk-crm-asking")
    page.wait_for_selector("#pop-crm[data-state=found]", timeout=15000)
    assert page.inner_text("#pop-crm-fields dd[data-field=last_order]") == "SO-88412"
    assert page.inner_text("#pop-crm-fields dd[data-field=plan]") == "光纤 500M"
    assert page.input_value("#f-order_number") == "SO-88412"  # pre-filled from the CRM
    assert page.input_value("#f-plan_note") == "typed by ann"  # the agent's typing wins
    page.wait_for_selector(".draft-state:has-text('Draft saved')", timeout=5000)
    screenshot(page, "desk-crm-found")
    assert len(crm.asked) == 1 and crm.asked[0][1]["x-api-key"] == "k-123"  # the server asked, once
    # The CRM goes down: the next caller's panel says so, and the pop is as it always was.
    crm.stop()
    bob = _desk(browser, live_server, "bob", errors)
    _ring(live_container, "1700000700.2", "+8613800138001", "PJSIP/agent1002")
    bob.wait_for_selector("#pop:not([hidden])", timeout=5000)
    bob.wait_for_selector("#pop-crm[data-state=unavailable]", timeout=15000)
    assert bob.inner_text("#pop-crm-state") == "CRM unavailable"
    screenshot(bob, "desk-crm-unavailable")
    assert errors == [], errors
    page.close()
    bob.close()
