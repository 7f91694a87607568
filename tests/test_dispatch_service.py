"""The dispatcher as real processes: one active at a time, restarts, exactly-once work.

The processes are ``python -m callcenter dispatcher`` against a real SQLite
or PostgreSQL database.  For the 200-job restart test their dialer is
``journal_dialer`` below: it appends each dial's idempotency key to a file
and answers "reached" after 0.1 s.  Placing 200 real calls through the lab
PBX would take minutes and the question here is "did any job run twice",
which the journal answers exactly; tests/test_dispatch_lab.py places real
calls with the real AMI dialer.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from callcenter.config import Settings, SurveySettings
from callcenter.db import transaction
from callcenter.dispatch import leader, surveys
from callcenter.dispatch.calendar import DailyWindow
from callcenter.dispatch.dialer import DialRequest, DialResult, Outcome
from callcenter.models import (
    Call,
    Callback,
    CallbackStatus,
    JobRun,
    Survey,
    TicketStatus,
    utcnow,
)
from tests.support import services
from tests.support.services import TEST

ROOT = Path(__file__).resolve().parent.parent


class JournalDialer:
    def __init__(self, path: str) -> None:
        self.path = path

    def dial(self, request: DialRequest) -> DialResult:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{request.key}\n".encode())
        finally:
            os.close(fd)
        time.sleep(0.1)
        return DialResult(Outcome.REACHED, "journal")

    def close(self) -> None:
        pass


def journal_dialer(settings: Settings) -> JournalDialer:
    return JournalDialer(os.environ["CC_TEST_JOURNAL"])


class Dispatcher:
    """One `callcenter dispatcher` process; its log is collected as it runs."""

    def __init__(self, db_url: str, tmp: Path, journal: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CALLCENTER_CONFIG": str(tmp / "absent.toml"),
               "CALLCENTER_INSTANCE_DIR": str(tmp / "instance"), "CALLCENTER_DATABASE__URL": db_url,
               "CALLCENTER_LAB__ENABLED": "false", "CC_TEST_JOURNAL": str(journal),
               "CALLCENTER_DISPATCH__DIALER": "tests.test_dispatch_service:journal_dialer",
               "CALLCENTER_DISPATCH__CALLBACKS__MODE": "customer_queue",
               "CALLCENTER_DISPATCH__CALLBACKS__CALLING_HOURS": "",
               "CALLCENTER_DISPATCH__CALLBACKS__DIALING_TIMEOUT_SECONDS": "3",
               "CALLCENTER_DISPATCH__SURVEYS__QUIET_HOURS": "",
               "CALLCENTER_DISPATCH__SCHEDULER__RECONCILE_SECONDS": "1",
               "CALLCENTER_DISPATCH__SCHEDULER__LEADER_POLL_SECONDS": "0.3"}
        self.proc = subprocess.Popen([sys.executable, "-m", "callcenter", "dispatcher"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)

    @property
    def active(self) -> bool:
        return any("dispatcher: ACTIVE" in line for line in self.log)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def journal_counts(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    if path.exists():
        for key in path.read_text().split():
            counts[key] = counts.get(key, 0) + 1
    return counts


def test_the_lock_admits_one_dispatcher(engine) -> None:
    first, second = leader.for_engine(engine), leader.for_engine(engine)
    assert first.try_acquire() and first.still_held()
    assert not second.try_acquire()
    assert leader.holder(engine) != "none"
    first.release()
    assert second.try_acquire()
    second.release()
    assert leader.holder(engine) == "none"


def test_the_holder_is_looked_for_in_this_database_only(pg_server) -> None:
    """Advisory locks are per database: a dispatcher of another centre on the same PostgreSQL server
    is not this centre's active dispatcher (``dispatch status`` said it was)."""
    from callcenter.db import make_engine

    base = pg_server.rsplit("/", 1)[0]
    other, ours = make_engine(pg_server), make_engine(f"{base}/postgres")
    try:
        theirs = leader.for_engine(other)
        assert theirs.try_acquire()
        assert leader.holder(other) != "none"
        assert leader.holder(ours) == "none"
        theirs.release()
    finally:
        other.dispose()
        ours.dispose()


def seed_due_work(session_factory, n: int) -> tuple[list[int], list[int]]:
    cfg, quiet = SurveySettings(delay_minutes=0, quiet_hours=""), DailyWindow("", "UTC", inverted=True)
    cb_ids, survey_ids = [], []
    callbacks = services.callbacks(Settings(_env_file=None).dispatch.callbacks, "US")
    tickets = callbacks.tickets
    with transaction(session_factory) as s:
        for i in range(n):
            cb = callbacks.request(s, f"+1202555{i:04d}", source="ivr")
            cb_ids.append(cb.id)
            call = Call(pbx="lab", linkedid=f"x{i}", started_at=utcnow(), caller_number=f"+1303555{i:04d}")
            s.add(call)
            s.flush()
            t = tickets.create(s, TEST, subject="done", call=call)
            tickets.change(s, t, TEST, status=TicketStatus.RESOLVED)
            survey = surveys.schedule_for_resolved(s, t.id, cfg, quiet)
            assert survey is not None
            survey_ids.append(survey.id)
    return cb_ids, survey_ids


@pytest.mark.timeout(180)
def test_restart_mid_way_runs_each_job_once(db_url, session_factory, tmp_path) -> None:
    cb_ids, survey_ids = seed_due_work(session_factory, 100)
    journal = tmp_path / "journal.log"
    first = Dispatcher(db_url, tmp_path, journal)
    try:
        wait_for(lambda: len(journal_counts(journal)) >= 60, 60, "the first 60 dials")
    finally:
        first.kill()  # SIGKILL: no clean shutdown, jobs in flight
    done_before = len(journal_counts(journal))
    assert done_before < 200, "the dispatcher finished before it could be killed"
    second = Dispatcher(db_url, tmp_path, journal)

    def settled() -> bool:
        with session_factory() as s:
            open_cbs: int | None = s.scalar(select(func.count()).select_from(Callback).where(
                Callback.status.in_((CallbackStatus.PENDING, CallbackStatus.DIALING))))
            claimed: int | None = s.scalar(select(func.count()).select_from(JobRun).where(JobRun.kind == "survey"))
        return open_cbs == 0 and claimed == len(survey_ids)

    try:
        wait_for(settled, 90, "every callback and survey to be done")
    finally:
        second.stop()
    counts = journal_counts(journal)
    assert max(counts.values()) == 1, "a callback or survey was dialled twice"
    with session_factory() as s:
        runs_ = {r.key: r for r in s.scalars(select(JobRun))}
        cbs = {c.id: c for c in s.scalars(select(Callback))}
    assert {f"callback:{i}:attempt:1" for i in cb_ids} <= set(runs_)
    assert not any(k.endswith(":attempt:2") for k in runs_)  # nobody was dialled a second time
    assert {f"survey:{i}:dial" for i in survey_ids} <= set(runs_)
    lost = [i for i in cb_ids if cbs[i].status is CallbackStatus.FAILED]
    for i in cb_ids:
        key = f"callback:{i}:attempt:1"
        if cbs[i].status is CallbackStatus.REACHED:
            assert counts.get(key) == 1
        else:  # in flight at the kill: closed as "outcome unknown", never redialled
            assert cbs[i].status is CallbackStatus.FAILED and "never called twice" in cbs[i].outcome_detail
    unfinished = [i for i in survey_ids if runs_[f"survey:{i}:dial"].finished_at is None]
    # Only what was in flight when the process died (8 worker threads) can be unknown.
    assert len(lost) + len(unfinished) <= 8
    assert sum(counts.values()) >= 200 - 8


@pytest.mark.timeout(120)
def test_two_dispatchers_on_postgresql_one_active_then_takeover(pg_server, tmp_path) -> None:
    from callcenter import migrations
    from callcenter.db import make_engine, make_session_factory

    engine = make_engine(pg_server)
    migrations.upgrade(engine)
    factory = make_session_factory(engine)
    journal = tmp_path / "journal.log"
    procs = [Dispatcher(pg_server, tmp_path, journal) for _ in range(2)]
    try:
        wait_for(lambda: any(p.active for p in procs), 30, "one dispatcher to become active")
        time.sleep(2.0)  # give a second one every chance to (wrongly) become active too
        assert sum(p.active for p in procs) == 1
        active, standby = (procs[0], procs[1]) if procs[0].active else (procs[1], procs[0])
        active.kill()
        started = time.monotonic()
        wait_for(lambda: standby.active, 15, "the standby to take over")
        assert time.monotonic() - started < 10
        with transaction(factory) as s:
            cid = services.callbacks(Settings(_env_file=None).dispatch.callbacks, "US").request(
                s, "+12025550199", source="ivr").id
        wait_for(lambda: journal_counts(journal).get(f"callback:{cid}:attempt:1") == 1, 20,
                 "the new active dispatcher to place a callback")
    finally:
        for p in procs:
            p.stop()
        engine.dispose()


def test_status_command_shows_jobs_callbacks_and_breaches(db_url, session_factory, monkeypatch, tmp_path) -> None:
    import datetime as dt

    from callcenter.cli import main

    callbacks = services.callbacks(Settings(_env_file=None).dispatch.callbacks, "US")
    with transaction(session_factory) as s:
        cb = callbacks.request(s, "+12025550143", source="agent")
        t = callbacks.tickets.create(s, TEST, subject="late")
        t.first_response_due_at = utcnow() - dt.timedelta(minutes=5)
        number, cb_id = t.number, cb.id
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("CALLCENTER_DATABASE__URL", db_url)
    monkeypatch.setenv("CALLCENTER_LAB__ENABLED", "false")
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps to 80 columns off a terminal
    result = CliRunner().invoke(main, ["dispatch", "status"])
    assert result.exit_code == 0, result.output
    assert "Active dispatcher: none" in result.output
    assert "+1 202-555-0143" in result.output and str(cb_id) in result.output
    assert number is not None and number in result.output and "first response" in result.output
    assert Survey is not None  # surveys appear once scheduled (see the restart test)
