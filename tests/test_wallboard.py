"""The live wallboard: waiting callers, agent states and SLA risk, pushed to a real browser."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from callcenter.calls.records import ensure_call
from callcenter.db import transaction
from callcenter.events import AgentStateChanged
from callcenter.models import Callback, CallbackSource, Disposition, utcnow
from callcenter.transcribe import jobs

from .deskdata import PASSWORD, build
from .support import services
from .support.browser import screenshot, sign_in


def test_snapshot_counts(container, shop) -> None:
    board = container and __import__("web.wallboard.state", fromlist=["Wallboard"]).Wallboard(
        container.bus, container.session_factory)
    now = utcnow()
    with transaction(container.session_factory) as s:
        ensure_call(s, "lab", "w.1", queue_name="support", queued_at=now - dt.timedelta(seconds=90))
        ensure_call(s, "lab", "w.2", queue_name="support", queued_at=now - dt.timedelta(seconds=10))
        ensure_call(s, "lab", "w.3", queue_name="support", started_at=now, disposition=Disposition.ABANDONED_QUEUE,
                    status="complete")
        t = container.tickets.create(s, services.TEST, subject="late one")
        t.first_response_due_at = now - dt.timedelta(minutes=5)
        s.add(Callback(number="+12025550143", source=CallbackSource.IVR, due_at=now - dt.timedelta(minutes=1)))
        late = ensure_call(s, "lab", "w.4", status="complete", ended_at=now - dt.timedelta(minutes=20))
        retrying = ensure_call(s, "lab", "w.5", status="complete", ended_at=now - dt.timedelta(minutes=20))
        s.flush()
        jobs.enqueue(s, late.id).updated_at = now - dt.timedelta(minutes=12)
        later = jobs.enqueue(s, retrying.id)  # waiting for a retry: not behind yet
        later.updated_at, later.not_before = now - dt.timedelta(minutes=30), now + dt.timedelta(minutes=1)
    container.bus.publish(AgentStateChanged(pbx="lab", interface="PJSIP/agent1001", state="on_call"))
    import time

    deadline = time.time() + 5
    while time.time() < deadline and not board._agents:
        time.sleep(0.05)
    snap = board.snapshot()
    support = next(q for q in snap["queues"] if q["name"] == "support")
    assert support["waiting"] == 2 and support["abandoned"] == 1
    assert abs(snap["at"] - support["oldest_at"] - 90) < 5
    ann = next(a for a in snap["agents"] if a["name"] == "ann")
    assert ann["state"] == "on_call"
    assert [x["subject"] for x in snap["sla"]] == ["late one"] and snap["sla"][0]["state"] == "breached"
    assert snap["callbacks_overdue"] == 1
    tx = snap["transcription"]
    assert tx["queued"] == 1 and tx["running"] == 0 and tx["alert_after"] == 600
    assert 12 * 60 - 5 <= tx["behind"] <= 12 * 60 + 30  # the oldest due job, not the one waiting for a retry


@pytest.mark.browser
def test_wallboard_in_chromium(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    with transaction(live_container.session_factory) as s:
        ensure_call(s, "lab", "w.9", queue_name="support", queued_at=utcnow() - dt.timedelta(seconds=75))
        recorded = ensure_call(s, "lab", "w.10", status="complete", ended_at=utcnow() - dt.timedelta(minutes=30))
        s.flush()
        jobs.enqueue(s, recorded.id).updated_at = utcnow() - dt.timedelta(minutes=25)
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    sign_in(page, live_server, "sue", PASSWORD)
    page.goto(f"{live_server}/wallboard/")
    page.wait_for_selector(".wb-queue.busy", timeout=10000)
    live_container.bus.publish(AgentStateChanged(pbx="lab", interface="PJSIP/agent1001", state="ringing"))
    page.wait_for_selector("tr.state-ringing", timeout=10000)
    busy = page.inner_text(".wb-queue.busy")
    # One waiting, 75 s and more by now (a loaded machine reads it late): "1 min 15 s" to "1 min 59 s", a duration
    # that never reads as a time of day ("1:15").
    assert "SUPPORT" in busy.upper() and re.search(r"\b1 min [1-5][0-9] s\b", busy), busy
    # Transcription behind by 25 minutes (alert after 10): the alert across the top, and the gauge full.
    behind = page.inner_text(".wb-behind")
    assert "Transcription is behind by 25 min" in behind, behind
    assert page.inner_text("#wb-tx-queued") == "1"
    assert page.eval_on_selector("#wb-tx-behind", "m => m.value === m.max && m.value >= m.high")
    screenshot(page, "wallboard")
    page.close()
