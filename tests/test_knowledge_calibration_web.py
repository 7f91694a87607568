"""The calibration page: who may open it, what it says before anything is fitted, "Calibrate now" as a
background job that leaves a new fit (or says in the reader's language why it could not), and the nightly fit
the dispatcher runs only when there is something new to learn from; on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select, update

from callcenter.db import transaction
from callcenter.dispatch import daily
from callcenter.dispatch import runtime as dispatch_runtime
from callcenter.dispatch import scheduler as sched
from callcenter.dispatch.service import build_runtime
from callcenter.knowledge import calibrating
from callcenter.models import (
    AuditLog,
    BackgroundJob,
    Calibration,
    JobRun,
    JobStatus,
    KnowledgeState,
    Suggestion,
    utcnow,
)
from tests import kbdata

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

PAGE = "/admin/knowledge/calibration"


def _client(app, who: str, lang: str = "en"):
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    if lang != "en":
        client.post("/language", data={"lang": lang, "csrf_token": csrf_token(client, "/")})
    return client


def _load(container) -> None:
    with transaction(container.session_factory) as s:
        kbdata.load(s, container.articles)


def _calibrations(container) -> int:
    with container.session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(Calibration)) or 0)


def test_only_supervisors_and_admins_open_it_and_it_says_what_to_do_first(app, shop, container) -> None:
    for who in ("ann", "quinn"):
        assert _client(app, who).get(PAGE).status_code == 403
    html = _client(app, "sue").get(PAGE).get_data(as_text=True)
    assert 'id="not-calibrated"' in html
    assert "publish articles with two or more questions each, then calibrate" in html
    assert "0 published articles with two or more questions; 0 suggestions marked helpful or not." in html
    assert 'href="/admin/knowledge/categories"' in html and "No categories yet" in html
    assert 'id="chart-reliability"' not in html and 'type="range"' not in html
    zh = _client(app, "ada", "zh").get(PAGE).get_data(as_text=True)
    assert "尚未校准" in zh and "立即校准" in zh


def test_calibrate_now_runs_in_the_background_and_the_new_fit_is_shown(app, shop, container) -> None:
    _load(container)
    sue = _client(app, "sue")
    assert sue.post(PAGE, data={}).status_code == 400  # no CSRF token
    token = csrf_token(sue, PAGE)
    asked = sue.post(PAGE, data={"csrf_token": token})
    assert asked.status_code == 303 and asked.headers["Location"].endswith(PAGE)
    assert sue.post(PAGE, data={"csrf_token": token}).status_code == 303  # asked twice: still one job
    waiting = sue.get(PAGE).get_data(as_text=True)
    assert 'data-status="queued"' in waiting and "Waiting for the background worker" in waiting
    assert "8 published articles with two or more questions" in waiting
    with container.session_factory() as s:
        job = s.scalars(select(BackgroundJob).where(BackgroundJob.kind == calibrating.KIND)).one()
    assert sue.get(f"/jobs/{job.id}.json").get_json()["status"] == "queued"
    assert container.background().run_once()
    assert not container.background().run_once()
    state = sue.get(f"/jobs/{job.id}.json").get_json()
    assert state["status"] == "done" and state["percent"] == 100 and state["label"] == "Calibrate the suggestions"
    assert f'href="{PAGE}">See the new calibration' in sue.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert _calibrations(container) == 1
    with container.session_factory() as s:
        row = s.scalars(select(Calibration)).one()
        done = s.get(BackgroundJob, job.id)
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "knowledge_calibrated")).one()
    assert done.result["calibration_id"] == row.id and done.result["pairs"] == row.positives + row.negatives > 0
    assert audit.actor_name == "sue" and audit.object_id == str(row.id)
    html = sue.get(PAGE).get_data(as_text=True)
    assert 'id="not-calibrated"' not in html and 'data-status=' not in html  # done: no progress box
    assert f'id="pairs">{row.positives + row.negatives}<' in html
    found = re.search(r"data-chart='([^']*)'", html)
    assert found is not None
    chart = json.loads(found.group(1).replace("&#34;", '"'))
    assert chart["table"] == row.table and chart["curve"] == row.curve
    assert {c["name"]: c["threshold"] for c in chart["categories"]} == {"Billing": 0.75, "Network": 0.8,
                                                                        "Delivery": 0.7}
    at = next(r for r in row.table if abs(r[0] - 0.75) < 1e-9)
    shown = "—" if not at[2] else f"{at[1] * 100:.1f} %"
    assert f'id="precision">{shown}<' in html and f'id="coverage">{at[2] * 100:.1f} %<' in html
    assert 'data-category="network"' in html and "<td>0.80</td>" in html


def test_a_fit_the_data_cannot_support_is_refused_in_the_readers_language(app, shop, container) -> None:
    ada = _client(app, "ada", "zh")
    assert ada.post(PAGE, data={"csrf_token": csrf_token(ada, PAGE)}).status_code == 303
    assert container.background().run_once()
    with container.session_factory() as s:
        job = s.scalars(select(BackgroundJob).where(BackgroundJob.kind == calibrating.KIND)).one()
    assert job.status is JobStatus.FAILED and job.result["said"]["msg"].startswith("Calibration needs both")
    html = ada.get(PAGE).get_data(as_text=True)
    assert 'data-status="failed"' in html and "校准需要正确和错误的例子" in html
    assert _calibrations(container) == 0
    # In English for an English reader of the same job (the job page is the requester's).
    ada.post("/language", data={"lang": "en", "csrf_token": csrf_token(ada, "/")})
    assert "Calibration needs both right and wrong answers" in ada.get(f"/jobs/{job.id}").get_data(as_text=True)


# -- the nightly fit ------------------------------------------------------------------------------------
@pytest.fixture
def dispatcher(container, settings):
    """The active dispatcher's runtime on a paused scheduler; the test runs the due jobs itself."""
    clock = {"now": dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)}
    scheduler = sched.build(container.engine, settings.dispatch.scheduler)
    scheduler._process_jobs = lambda: None
    scheduler.start(paused=True)
    rt = build_runtime(settings, container.engine, container.session_factory, scheduler, None, None,
                       container.callbacks, clock=lambda: clock["now"])
    dispatch_runtime.install(rt)
    yield rt
    dispatch_runtime.install(None)
    scheduler.shutdown(wait=False)


def _settle_articles(container) -> None:
    """The articles' last change well before any fit (SQLite keeps it to the second)."""
    with transaction(container.session_factory) as s:
        s.execute(update(KnowledgeState).values(changed_at=utcnow() - dt.timedelta(hours=1)))


def test_the_nightly_fit_runs_once_a_day_and_only_when_there_is_something_new(container, dispatcher) -> None:
    _load(container)
    _settle_articles(container)
    daily.plan(dispatcher)
    due = dict(sched.queued(container.engine))
    assert due[daily.CALIBRATE_JOB] == dispatcher.clock()  # 02:30 passed unclaimed: at once
    today = dt.date(2026, 11, 24)
    daily.recalibrate(today.toordinal())
    assert _calibrations(container) == 1
    assert dict(sched.queued(container.engine))[daily.CALIBRATE_JOB] == dt.datetime(2026, 11, 25, 2, 30,
                                                                                     tzinfo=dt.UTC)
    daily.recalibrate(today.toordinal())  # a replayed job: the day is claimed
    assert _calibrations(container) == 1
    tomorrow = today + dt.timedelta(days=1)
    daily.recalibrate(tomorrow.toordinal())  # nothing new since
    assert _calibrations(container) == 1
    with transaction(container.session_factory) as s:  # an agent marks a suggestion
        article = kbdata.ARTICLES[0]
        s.add(Suggestion(context="desk", article_id=1, query=article["en"]["questions"][0], score=1.0,
                         features=[0.2, 0.2, 1.0], probability=0.3, helpful=False, marked_at=utcnow()))
    later = tomorrow + dt.timedelta(days=1)
    daily.recalibrate(later.toordinal())
    assert _calibrations(container) == 2
    with container.session_factory() as s:
        outcomes = dict(s.execute(select(JobRun.key, JobRun.outcome).where(JobRun.kind == "calibrate")).tuples().all())
        sources = s.scalars(select(Calibration.sources).order_by(Calibration.id.desc())).first()
        reasons = [a.detail["reason"] for a in s.scalars(select(AuditLog).where(
            AuditLog.action == "knowledge_calibrated").order_by(AuditLog.id))]
    assert outcomes == {"calibrate:2026-11-24": "calibrated", "calibrate:2026-11-25": "unchanged",
                        "calibrate:2026-11-26": "calibrated"}
    assert sources.get("agents") == 1 and reasons == ["first", "labels"]
    with transaction(container.session_factory) as s:  # an editor changes an article
        s.execute(update(KnowledgeState).values(changed_at=utcnow()))
        assert calibrating.news(s) == "articles"


def test_the_nightly_fit_is_off_when_the_setting_says_so_and_says_nothing_when_refused(
        container, settings, dispatcher) -> None:
    off = settings.model_copy(update={"knowledge": settings.knowledge.model_copy(update={
        "calibration": settings.knowledge.calibration.model_copy(update={"nightly": False})})})
    dispatcher.settings = off
    daily.plan(dispatcher)
    assert set(dict(sched.queued(container.engine))) == {daily.PURGE_JOB}
    # Nothing published: the fit refuses; the night's run records that and nothing breaks.
    daily.recalibrate(dt.date(2026, 11, 24).toordinal())
    with container.session_factory() as s:
        assert s.scalar(select(JobRun.outcome).where(JobRun.key == "calibrate:2026-11-24")) == "refused"
    assert _calibrations(container) == 0
