"""The CRM lookup against a real HTTP CRM (tests/support/crm_server.py): the answer mapped, the caller's
number quoted, one request per question, a CRM that is down, slow or broken said plainly, secrets kept."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from callcenter.config import Settings
from callcenter.crm.lookup import FOUND, NOT_FOUND, OFF, UNAVAILABLE, Asked, CrmLookup
from callcenter.crm.settings import CrmSettings
from callcenter.forms import catalog
from callcenter.forms.schema import FieldSpec

from .deskdata import PASSWORD
from .support.crm_server import Crm
from .webtools import sign_in

SECRET = "crm-api-key-7f3a9c"
WANG = {"id": "C-1001", "name": "王芳", "contract": {"plan": "光纤 500M", "ends": "2027-03-31"},
        "credit": "good", "orders": [{"number": "SO-88412", "total": 299.0}, {"number": "SO-77001"}],
        "tags": ["VIP", "售后"], "notes": "line one\r\nline two"}
FIELDS = [{"name": "last_order", "path": "orders.0.number", "label": "Last order", "label_zh": "最近订单"},
          {"name": "plan", "path": "contract.plan", "label": "Plan", "label_zh": "套餐"},
          {"name": "credit", "path": "credit", "label": "Credit status", "label_zh": "信用状况"},
          {"name": "tags", "path": "tags", "label": "Tags", "label_zh": "标签"},
          {"name": "notes", "path": "notes", "label": "Notes"},
          {"name": "missing", "path": "orders.5.number", "label": "Never there"}]


@pytest.fixture
def crm_server() -> Any:
    records: dict[str, Any] = {"+8613800138000": WANG, "C-1001": WANG, "+12025550100": []}  # a search finding none
    server = Crm(records=records).start()
    yield server
    server.stop()


def _settings(server: Crm, **over: Any) -> CrmSettings:
    values: dict[str, Any] = {
        "urls": [f"{server.base}/customers/{{external_ref}}", f"{server.base}/customers?phone={{phone}}"],
        "headers": {"Authorization": f"Bearer {SECRET}"}, "fields": FIELDS, "timeout_seconds": 2.0}
    values.update(over)
    return CrmSettings.model_validate(values)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_answer_is_mapped_and_the_caller_quoted_with_the_headers_sent(crm_server) -> None:
    lookup = CrmLookup(_settings(crm_server))
    try:
        answer = lookup.answer(Asked(phone="+8613800138000"))
        assert answer.state == FOUND
        shown = {f.name: f.value for f in answer.fields}
        assert shown == {"last_order": "SO-88412", "plan": "光纤 500M", "credit": "good", "tags": "VIP, 售后",
                         "notes": "line one line two"}  # no field the answer lacks; one line each
        assert answer.as_json(zh=True)["fields"][0] == {"name": "last_order", "label": "最近订单", "value": "SO-88412"}
        path, headers = crm_server.asked[0]
        assert path == "/customers?phone=%2B8613800138000" and headers["authorization"] == f"Bearer {SECRET}"
        # Our CRM id for the customer comes first when we know it.
        assert lookup.answer(Asked(phone="+1", external_ref="C-1001")).state == FOUND
        assert crm_server.asked[-1][0] == "/customers/C-1001"
        # A hostile caller ID is one quoted value: no second parameter, no other path, no header line.
        hostile = "+1&admin=1/../../x\r\nX-Evil: 1"
        assert lookup.answer(Asked(phone=hostile)).state == NOT_FOUND
        url = urlsplit(crm_server.asked[-1][0])
        assert url.path == "/customers" and parse_qs(url.query) == {"phone": [hostile]}
        assert "x-evil" not in crm_server.asked[-1][1]
        # A search answering an empty list, and no key the addresses need: not in the CRM.
        assert lookup.answer(Asked(phone="+12025550100")).state == NOT_FOUND
        assert lookup.answer(Asked(email="a@example.com")).state == NOT_FOUND
    finally:
        lookup.close()


def test_one_question_is_asked_once_and_its_answer_kept(crm_server) -> None:
    crm_server.delay = 0.3
    clock = Clock()
    lookup = CrmLookup(_settings(crm_server, cache_seconds=60), clock=clock)
    answers: list[str] = []
    try:
        threads = [threading.Thread(target=lambda: answers.append(lookup.answer(Asked(phone="+8613800138000")).state))
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == [FOUND] * 6 and len(crm_server.asked) == 1  # six tabs, one request
        clock.now += 59
        assert lookup.answer(Asked(phone="+8613800138000")).state == FOUND and len(crm_server.asked) == 1
        clock.now += 2
        assert lookup.answer(Asked(phone="+8613800138000")).state == FOUND and len(crm_server.asked) == 2
    finally:
        lookup.close()


def test_a_crm_broken_slow_or_down_is_unavailable_and_asked_again_later(crm_server) -> None:
    clock = Clock()
    lookup = CrmLookup(_settings(crm_server, retry_seconds=15, timeout_seconds=0.5), clock=clock)
    asked = Asked(phone="+8613800138000")
    try:
        crm_server.status = 500
        assert lookup.answer(asked).state == UNAVAILABLE
        crm_server.status = 200
        clock.now += 10
        assert lookup.answer(asked).state == UNAVAILABLE and len(crm_server.asked) == 1  # not hammered
        clock.now += 6
        assert lookup.answer(asked).state == FOUND and len(crm_server.asked) == 2
        slow = Asked(phone="+8613800138000", customer_id=1, external_ref="C-1001")
        crm_server.delay = 2.0
        assert lookup.answer(slow).state == UNAVAILABLE  # the timeout, not the CRM's pace
        crm_server.delay = 0.0
        crm_server.stop()
        assert lookup.answer(Asked(phone="+8613800138001")).state == UNAVAILABLE
    finally:
        lookup.close()


def test_answers_that_are_not_json_or_too_large_are_refused(crm_server) -> None:
    crm_server.records["+8613800138002"] = {"blob": "x" * 5000}
    lookup = CrmLookup(_settings(crm_server, max_answer_bytes=2048))
    try:
        assert lookup.answer(Asked(phone="+8613800138002")).state == UNAVAILABLE
        assert lookup.mapped("not an object").state == NOT_FOUND
        assert lookup.mapped([{"credit": "bad"}]).fields[0].value == "bad"  # a search's first hit
    finally:
        lookup.close()


def test_no_crm_set_up_is_off_and_bad_settings_are_refused(crm_server, caplog) -> None:
    assert CrmLookup(CrmSettings()).answer(Asked(phone="+8613800138000")).state == OFF
    with pytest.raises(ValidationError, match="names one or more"):
        CrmSettings(urls=["https://crm.example.com/customers?q={name}"])
    with pytest.raises(ValidationError, match="starts with https"):
        CrmSettings(urls=["file:///etc/passwd?{phone}"])
    with pytest.raises(ValidationError, match="bad CRM header"):
        CrmSettings.model_validate({"urls": ["https://c/{phone}"], "headers": {"X-Key": "a\r\nHost: evil"}})
    with pytest.raises(ValidationError, match="own name"):
        CrmSettings.model_validate({"urls": ["https://c/{phone}"], "fields": [FIELDS[0], FIELDS[0]]})
    # The API key never reaches a log or a printed setting, whatever goes wrong.
    caplog.set_level(logging.DEBUG)
    settings = _settings(crm_server, timeout_seconds=0.5)
    lookup = CrmLookup(settings)
    try:
        crm_server.status = 503
        assert lookup.answer(Asked(phone="+8613800138000")).state == UNAVAILABLE
        crm_server.stop()
        assert lookup.answer(Asked(phone="+8613800138009")).state == UNAVAILABLE
    finally:
        lookup.close()
    assert caplog.records and SECRET not in caplog.text
    assert SECRET not in repr(settings) and SECRET not in str(Settings(crm=settings).model_dump())


def test_a_form_field_may_pre_fill_from_the_crm() -> None:
    assert FieldSpec(name="order", label="Order", prefill="crm.last_order").prefill == "crm.last_order"
    for bad in ("crm.Last-Order", "crm.", "crmx.last_order"):
        with pytest.raises(ValidationError, match="cannot pre-fill"):
            FieldSpec(name="order", label="Order", prefill=bad)


# -- through the desk --------------------------------------------------------------------------------
@pytest.fixture
def settings(db_url: str, tmp_path: Path, crm_server: Crm) -> Settings:
    """The suite's settings with the CRM set up (the container, app and client fixtures use these)."""
    return Settings(instance_dir=tmp_path / "instance", database={"url": db_url}, lab={"enabled": False},
                    web={"secret_key": "test-secret-key", "port": 0}, recordings={"dir": tmp_path / "recordings"},
                    crm=_settings(crm_server).model_dump(mode="python"))


def test_the_desk_asks_the_crm_through_the_server(app, container, shop, crm_server) -> None:
    ann = app.test_client()
    sign_in(ann, "ann", PASSWORD)
    assert 'id="pop-crm"' in ann.get("/desk/").get_data(as_text=True)  # the panel, and crm.js
    resp = ann.get(f"/desk/calls/{shop.call_id}/crm")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["state"] == FOUND
    assert {f["label"]: f["value"] for f in body["fields"]}["Last order"] == "SO-88412"
    text = resp.get_data(as_text=True)
    assert SECRET not in text and crm_server.base not in text  # the browser never learns where or how
    zh = ann.get(f"/desk/calls/{shop.call_id}/crm", headers={"Accept-Language": "zh-CN"}).get_json()
    assert zh["fields"][0]["label"] == "最近订单"
    assert len(crm_server.asked) == 1  # the second tab's question was answered from what was kept
    # bob neither took nor may see ann's call.
    bob = app.test_client()
    sign_in(bob, "bob", PASSWORD)
    assert bob.get(f"/desk/calls/{shop.call_id}/crm").status_code == 403
    assert len(crm_server.asked) == 1


def test_the_pop_form_marks_the_fields_the_crm_fills(app, container, shop) -> None:
    from callcenter.db import transaction

    from .support import services

    text = (catalog.DEFINITIONS / "support.toml").read_text(encoding="utf-8")
    text += '\n[[fields]]\nname = "order_number"\nlabel = "Order"\nprefill = "crm.last_order"\n'
    with transaction(container.session_factory) as s:
        catalog.save_version(s, catalog.parse(text), services.TEST, text=text)
    ann = app.test_client()
    sign_in(ann, "ann", PASSWORD)
    html = ann.get(f"/desk/calls/{shop.call_id}/form?form=support").get_data(as_text=True)
    assert 'name="order_number" data-crm="last_order"' in html


def test_the_crm_lookup_command_shows_what_the_pop_would(crm_server, tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from callcenter.cli import main

    config = tmp_path / "config.toml"
    config.write_text(f'''
[database]
url = "sqlite:///{tmp_path / 'cli.db'}"
[lab]
enabled = false
[crm]
urls = ["{crm_server.base}/customers?phone={{phone}}"]
headers = {{ Authorization = "Bearer {SECRET}" }}
[[crm.fields]]
name = "last_order"
path = "orders.0.number"
label = "Last order"
''', encoding="utf-8")
    monkeypatch.setenv("CALLCENTER_CONFIG", str(config))
    monkeypatch.setenv("CALLCENTER_INSTANCE_DIR", str(tmp_path / "instance"))
    out = CliRunner().invoke(main, ["crm", "lookup", "--phone", "+86 138 0013 8000"])
    assert out.exit_code == 0, out.output
    assert "phone=%2B8613800138000" in out.output and "SO-88412" in out.output and SECRET not in out.output
    missing = CliRunner().invoke(main, ["crm", "lookup", "--phone", "+86 138 0013 8999"])
    assert missing.exit_code == 1 and "does not know this caller" in missing.output
    assert CliRunner().invoke(main, ["crm", "lookup", "--phone", "not a number"]).exit_code == 2
    shown = CliRunner().invoke(main, ["config"])
    assert shown.exit_code == 0 and SECRET not in shown.output  # `callcenter config` hides the header too
