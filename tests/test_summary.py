"""The daily summary: hand-computed figures, sent through a real SMTP server, once per day when scheduled."""
from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callcenter.config import Settings, SummarySettings
from callcenter.db import transaction
from callcenter.dispatch import daily
from callcenter.dispatch import runtime as dispatch_runtime
from callcenter.dispatch import scheduler as sched
from callcenter.dispatch.service import build_runtime
from callcenter.models import AuditLog, JobRun, SchedulerJob, User
from callcenter.reporting import daily as summary
from callcenter.reporting import mail as summary_mail

from .support.summary_world import DAY, EXPECTED, ZONE, parts, seed, smtp_server, table_of
from .webtools import make_user, sign_in


def _with_summary(settings: Settings, port: int, **extra) -> Settings:
    cfg = SummarySettings(enabled=True, smtp_host="127.0.0.1", smtp_port=port, sender="cc@example.com",
                          smtp_password="never-shown", **extra)
    return settings.model_copy(update={"summary": cfg, "timezone": ZONE})


def _supervisors(session_factory) -> None:
    """Two supervisors with addresses (en, zh); an agent and a former supervisor get nothing."""
    for name, role in (("sue", "supervisor"), ("sam", "supervisor"), ("ann", "agent"), ("old", "supervisor")):
        make_user(session_factory, name, role)
    with transaction(session_factory) as s:
        for user in s.scalars(select(User)):
            user.email = f"{user.username}@example.com"
            user.language = "zh" if user.username == "sam" else "en"
            user.is_active = user.username != "old"


def test_figures_match_hand_computation(session_factory) -> None:
    seed(session_factory)
    with session_factory() as s:
        built = summary.build(s, DAY, ZONE)
    assert [name for name, _ in built.queues] == ["sales", "support"]
    assert built.centre["calls"] == 6 and built.centre["service_level"] == 0.5 and built.centre["aht"] == 200.0
    assert table_of(summary.render_text(built, "en")) == EXPECTED
    html = summary.render_html(built, "en")
    assert "<th>Whole centre</th><th>sales</th><th>support</th>" in html and "66.7 %" in html


def test_sent_through_real_smtp_in_each_language(session_factory, settings) -> None:
    seed(session_factory)
    _supervisors(session_factory)
    with smtp_server() as (inbox, port):
        cfg = _with_summary(settings, port)
        sent = summary_mail.send_once(session_factory, cfg, DAY)
        assert sent is not None and sorted(sent.recipients) == ["sam@example.com", "sue@example.com"]
        assert len(inbox.messages) == 2
        (en,), (zh,) = inbox.to("sue@example.com"), inbox.to("sam@example.com")
        assert en["Subject"] == "Daily summary Nov 23, 2026" and en["From"] == "cc@example.com"
        text, html = parts(en)
        assert table_of(text) == EXPECTED
        assert "<th align=\"left\">Service level</th><td align=\"right\">50.0 %</td>" in html
        zh_text, zh_html = parts(zh)
        assert zh["Subject"] == "每日摘要 2026年11月23日" and "服务水平" in zh_html
        assert table_of(zh_text)["服务水平"] == EXPECTED["Service level"]
        # Durations read as durations in the reader's language, never "3:20".
        assert table_of(zh_text)["平均处理时长"] == ["3 分 20 秒", "5 分钟", "2 分 30 秒"]
        assert "3 分 20 秒" in zh_html and "3 min 20 s" in html
        # The scheduled send for the same day, again (a restart, a second dispatcher): nothing.
        assert summary_mail.send_once(session_factory, cfg, DAY) is None
        assert len(inbox.messages) == 2
    with session_factory() as s:
        run = s.scalar(select(JobRun).where(JobRun.key == "summary:2026-11-23"))
        assert run.outcome == "done" and run.detail["recipients"] == 2
    assert "never-shown" not in str(cfg.redacted())


def test_smtp_refusal_is_a_clear_error_and_recorded(session_factory, settings) -> None:
    _supervisors(session_factory)
    from .support.summary_world import free_port

    cfg = _with_summary(settings, free_port())  # nothing listens there
    with pytest.raises(summary_mail.SummaryError, match=r"SMTP 127.0.0.1"):
        summary_mail.send_once(session_factory, cfg, DAY)
    with session_factory() as s:
        run = s.scalar(select(JobRun).where(JobRun.key == "summary:2026-11-23"))
        assert run.outcome == "failed" and "never-shown" not in str(run.detail)
    with pytest.raises(summary_mail.SummaryError, match="no recipients"):
        summary_mail.send(session_factory, cfg.model_copy(update={"summary": SummarySettings(
            recipients=["bad address\r\nBcc: x@evil"])}), DAY)


@pytest.fixture
def runtime(container):
    """The active dispatcher's runtime with a real (paused) scheduler on the database's job store."""
    clock = {"now": dt.datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo(ZONE)).astimezone(dt.UTC)}
    made = []

    def make(settings: Settings) -> dispatch_runtime.Runtime:
        scheduler = sched.build(container.engine, settings.dispatch.scheduler)
        # The test plays the executor: due jobs (the fixture's days are in the past) are run by hand,
        # never by the scheduler's thread, not even while it shuts down.
        scheduler._process_jobs = lambda: None
        scheduler.start(paused=True)
        rt = build_runtime(settings, container.engine, container.session_factory, scheduler, None, None,
                           container.callbacks, clock=lambda: clock["now"])
        dispatch_runtime.install(rt)
        made.append(scheduler)
        return rt

    yield make, clock
    dispatch_runtime.install(None)
    for scheduler in made:
        if scheduler.running:
            scheduler.shutdown(wait=False)


def _next_runs(engine) -> dict[str, dt.datetime | None]:
    return dict(sched.queued(engine))


def test_daily_jobs_run_once_per_day_across_restarts(session_factory, settings, container, runtime) -> None:
    make, clock = runtime
    seed(session_factory)
    _supervisors(session_factory)
    with smtp_server() as (inbox, port):
        cfg = _with_summary(settings, port, send_at="07:00")
        rt = make(cfg)
        # 08:00 on the 24th: both slots of the day have passed unclaimed (no dispatcher was up): run now.
        daily.plan(rt)
        due = _next_runs(container.engine)
        assert due[daily.SUMMARY_JOB] == clock["now"] and due[daily.PURGE_JOB] == clock["now"]
        today = dt.date(2026, 11, 24).toordinal()
        daily.send_summary(today)
        daily.run_purge(today)
        assert len(inbox.messages) == 2  # sue and sam, the 23rd's figures
        assert table_of(parts(inbox.to("sue@example.com")[0])[0]) == EXPECTED
        nxt = _next_runs(container.engine)
        assert nxt[daily.SUMMARY_JOB] == dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC)  # 07:00 on the 25th
        assert nxt[daily.PURGE_JOB] == dt.datetime(2026, 11, 24, 19, 30, tzinfo=dt.UTC)  # 03:30 on the 25th
        # A restart whose job store lost the jobs: the day is claimed, so they wait for tomorrow.
        rt.scheduler.shutdown(wait=False)
        with transaction(session_factory) as s:
            s.query(SchedulerJob).delete()
        rt = make(cfg)
        daily.plan(rt)
        assert _next_runs(container.engine)[daily.SUMMARY_JOB] == nxt[daily.SUMMARY_JOB]
        # A replayed job, and two dispatchers racing on the same day: still one e-mail each.
        daily.send_summary(today)
        racers = [threading.Thread(target=daily.send_summary, args=(today,)) for _ in range(2)]
        for t in racers:
            t.start()
        for t in racers:
            t.join()
        daily.run_purge(today)
        assert len(inbox.messages) == 2
    with session_factory() as s:
        keys = sorted(s.scalars(select(JobRun.key).where(JobRun.kind.in_(("daily_summary", "retention_purge")))))
        assert keys == ["purge:2026-11-24", "summary:2026-11-23"]
        purge_audit = s.scalars(select(AuditLog).where(AuditLog.action == "retention_purge")).all()
        assert purge_audit == []  # no policy set: nothing removed, nothing to audit


def test_disabled_summary_is_not_scheduled(settings, container, runtime) -> None:
    make, _ = runtime
    rt = make(settings.model_copy(update={"timezone": ZONE}))
    daily.plan(rt)
    assert set(_next_runs(container.engine)) == {daily.PURGE_JOB, daily.CALIBRATE_JOB}  # the knowledge base's fit


def test_daily_page(client, session_factory) -> None:
    seed(session_factory)
    _supervisors(session_factory)
    client.application.extensions["container"].settings.timezone = ZONE
    sign_in(client, "ann")
    assert client.get("/reports/daily?date=2026-11-23").status_code == 403
    other = client.application.test_client()
    sign_in(other, "sue")
    html = other.get("/reports/daily?date=2026-11-23").get_data(as_text=True)
    assert "<th>Whole centre</th><th>sales</th><th>support</th>" in html
    assert '<th align="left">Callbacks kept</th><td align="right">2/3 (66.7 %)</td>' in html
    bad = other.get("/reports/daily?date=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    empty = other.get("/reports/daily?date=2020-01-01").get_data(as_text=True)
    assert "No calls or tickets on this day." in empty


def _outcome(session_factory, key: str) -> str | None:
    with session_factory() as s:
        outcome: str | None = s.scalar(select(JobRun.outcome).where(JobRun.key == key))
        return outcome


def test_real_dispatchers_send_the_day_once_across_failover(db_url, container, session_factory, tmp_path,
                                                            monkeypatch) -> None:
    """`callcenter dispatcher` processes: the active one sends the missed day at once; its successor does not."""
    from .test_dispatch_service import Dispatcher, wait_for

    _supervisors(session_factory)
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date()
    with smtp_server() as (inbox, port):
        for key, value in {"CALLCENTER_SUMMARY__ENABLED": "true", "CALLCENTER_SUMMARY__SMTP_PORT": str(port),
                           "CALLCENTER_SUMMARY__SEND_AT": "00:00", "CALLCENTER_SUMMARY__TIMEZONE": "UTC"}.items():
            monkeypatch.setenv(key, value)
        first = Dispatcher(db_url, tmp_path, tmp_path / "journal")
        second = None
        try:
            wait_for(lambda: len(inbox.messages) == 2, 60, "the first dispatcher to send the summary")
            wait_for(lambda: _outcome(session_factory, f"summary:{yesterday}") == "done", 30, "the run to be recorded")
            second = Dispatcher(db_url, tmp_path, tmp_path / "journal")
            first.kill()
            wait_for(lambda: second.active, 60, "the standby to take over")
            time.sleep(3)  # time for a wrong second send to show up
            assert len(inbox.messages) == 2
        finally:
            first.stop()
            if second is not None:
                second.stop()
    with session_factory() as s:
        assert s.scalar(select(JobRun.detail).where(JobRun.key == f"summary:{yesterday}"))["recipients"] == 2
        assert s.scalar(select(JobRun.key).where(JobRun.kind == "retention_purge")).startswith("purge:")


def test_daily_page_speaks_each_readers_language_in_one_process(client, session_factory) -> None:
    """The summary's labels are imported by three templates; each render must translate them anew
    (an import without context was cached, so the first reader's language stuck for everyone)."""
    seed(session_factory)
    _supervisors(session_factory)  # sue reads English, sam Chinese
    english, chinese = client, client.application.test_client()
    sign_in(english, "sue")
    sign_in(chinese, "sam")
    assert "Daily summary" in english.get("/reports/daily?date=2026-11-23").get_data(as_text=True)
    html = chinese.get("/reports/daily?date=2026-11-23").get_data(as_text=True)
    assert "每日摘要" in html and "Daily summary" not in html
    assert "Daily summary" in english.get("/reports/daily?date=2026-11-23").get_data(as_text=True)
