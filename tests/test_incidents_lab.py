"""Incident mode through the lab PBX: a real SIPp caller hears the incident's message before the menu (the
espeak-ng file our FastAGI server made in the lab's sounds; Asterisk's own log shows it played), presses 1
and is subscribed; solving the problem makes the dispatcher, over its own AMI link, call each subscriber
once on the customer's SIPp phone (5099)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter import migrations
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.dispatch.service import DispatcherService
from callcenter.models import Call, Incident, JobRun, NoticeStatus, PhoneNotice, utcnow
from callcenter.pbx.lab import LabPBX
from callcenter.problems.ivr import IncidentLine
from callcenter.wiring import Container
from tests.support.agi_peer import running_server, settled, wait_until
from tests.support.ivr_data import seed
from tests.support.services import TEST
from tests.support.sipp import Caller, customer, require_tool
from tests.test_agi_lab import SHARED_MEMBER, paused

pytestmark = pytest.mark.pbx

CALLER = "+15551230077"  # the lab's customer numbers pass the dialling policy while the lab is on
OTHER = "+15551230078"  # a second subscriber, pressed 1 on another call
PHONE_ONLY = "+15551230079"  # a caller with only a phone, told a solved problem's reply by a spoken call


@pytest.fixture
def centre(lab_pbx: LabPBX, tmp_path: Path) -> Iterator[tuple[Container, Any]]:
    require_tool("sipp")
    settings = Settings(instance_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'inc.db'}"},
                        lab={"enabled": True, "dir": lab_pbx.dir}, recordings={"dir": lab_pbx.recordings_dir},
                        agi={"port": 4573, "capture_dir": tmp_path / "captures"},
                        ivr={"digit_timeout": 3.0, "survey_offer": False},
                        dispatch={"callbacks": {"calling_hours": ""},
                                  "scheduler": {"reconcile_seconds": 1, "leader_poll_seconds": 0.2}})
    assert settings.pbxes() and settings.pbxes()[0].secret.get_secret_value(), "lab AMI secret missing"
    container = Container(settings)
    migrations.upgrade(container.engine)
    seed(container.session_factory)
    line = IncidentLine.from_settings(settings, container.incidents)
    try:
        with running_server(settings, container.session_factory, port=4573, incidents=line) as server:
            yield container, server
    finally:
        container.close()


@pytest.mark.timeout(240)
def test_a_caller_hears_the_incident_presses_1_and_is_called_once_when_it_is_fixed(
        centre: Any, lab_pbx: LabPBX, tmp_path: Path) -> None:
    container, server = centre
    with transaction(container.session_factory) as s:
        problem = container.tickets.create(s, TEST, subject="Fibre cut in the north district")
        incident = container.incidents.declare(
            s, TEST, problem, message_en="There is a network outage in the north district. Engineers are on "
                                         "their way and expect to fix it by six o'clock.",
            message_zh="北区网络故障，工程师正在处理，预计六点前修复。")
        incident_id, problem_id = incident.id, problem.id
    full_log = Path(lab_pbx.path("/var/log/asterisk/full.log"))
    logged_before = full_log.stat().st_size if full_log.exists() else 0

    with paused(lab_pbx, "support", "PJSIP/agent1001", SHARED_MEMBER):
        # The message starts right after lookup; "1" during it, then the menu's welcome; hang up meanwhile.
        caller = Caller(tmp_path / "caller", "100", caller_id=CALLER.lstrip("+"), dtmf=[(2500, "1")],
                        hangup_after_ms=12000)
        result = caller.run(timeout=60)
    assert result.ok, str(result)
    settled(server)

    name = f"callcenter-incident/{incident_id}-1-en"
    assert Path(lab_pbx.path(f"/usr/share/asterisk/sounds/{name}.wav")).exists()
    assert wait_until(lambda: name in _log_since(full_log, logged_before), 10), "Asterisk's log shows no playback"
    log = _log_since(full_log, logged_before)
    assert f"Playing '{name}" in log and "Playing 'callcenter/incident-subscribed" in log, log[-3000:]
    with transaction(container.session_factory) as s:
        [row] = s.scalars(select(PhoneNotice))
        assert (row.incident_id, row.number, row.status) == (incident_id, CALLER, NoticeStatus.WAITING)
        call = s.scalar(select(Call).where(Call.caller_number == CALLER))
        assert call is not None and call.ivr["incident"] == {"id": incident_id, "problem_id": problem_id,
                                                             "subscribed": True}
        assert row.call_id == call.id
        # A second caller's press, as the IVR stores it; pressing again changes nothing.
        assert container.incidents.subscribe(s, incident_id, OTHER, "zh", None) is not None
        assert container.incidents.subscribe(s, incident_id, OTHER, "zh", None) is not None
        assert len(s.scalars(select(PhoneNotice)).all()) == 2
        found = s.get(type(problem), problem_id)
        assert found is not None
        container.problems.solve(s, TEST, found, body="It is fixed.")
        ended = s.get(Incident, incident_id)
        assert ended is not None and ended.status.value == "ended"
        # What solving leaves for a caller with only a phone (tests/test_problems_solve.py makes it so).
        spoken = PhoneNotice(ticket_id=problem_id, number=PHONE_ONLY, language="en", status=NoticeStatus.DUE,
                             text="Your parcel is moving again and will arrive tomorrow.", due_at=utcnow())
        s.add(spoken)
        s.flush()
        spoken_id = spoken.id
    logged_before = full_log.stat().st_size if full_log.exists() else 0

    service = DispatcherService(container.settings, container.engine, container.session_factory, None,
                                container.callbacks, incidents=container.incidents)
    phone = customer(tmp_path / "phone")
    phone.args[phone.args.index("-m") + 1] = "3"
    phone.args += ["-trace_msg", "-message_file", "messages.log"]
    with phone:
        service.start()
        try:
            assert wait_until(lambda: _statuses(container) == {NoticeStatus.TOLD}, 90), _statuses(container)
            time.sleep(3)  # three more sweeps of the reconcile: nobody is called twice
        finally:
            service.stop()
        rang = phone.wait(20)
    assert rang.ok, str(rang)
    invites = (phone.workdir / "messages.log").read_text()
    assert invites.count("INVITE sip:") == 3, invites[-2000:]
    assert all(n.lstrip("+") in invites for n in (CALLER, OTHER, PHONE_ONLY))
    log = _log_since(full_log, logged_before)
    assert f"Playing 'callcenter-notice/{spoken_id}-1-en" in log and "Playing 'callcenter/incident-solved" in log
    with transaction(container.session_factory) as s:
        rows = s.scalars(select(PhoneNotice)).all()
        assert [r.attempts for r in rows] == [1, 1, 1]
        runs = s.scalars(select(JobRun.key).where(JobRun.key.like("notice:%"))).all()
        assert sorted(runs) == sorted(f"notice:{r.id}:attempt:1" for r in rows)


def _statuses(container: Container) -> set[NoticeStatus]:
    with container.session_factory() as s:
        return set(s.scalars(select(PhoneNotice.status)))


def _log_since(path: Path, offset: int) -> str:
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace")
