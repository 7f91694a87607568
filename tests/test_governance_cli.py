"""`callcenter retention purge`, `customer erase` and `report daily` through click's runner."""
from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from callcenter import migrations
from callcenter.cli import main
from callcenter.db import make_engine, make_session_factory, transaction
from callcenter.models import (
    AuditLog,
    Call,
    Customer,
    CustomerPhone,
    Disposition,
    JobRun,
    Party,
    Queue,
    Recording,
    Transcript,
)

from .deskdata import write_wav
from .support.summary_world import DAY, EXPECTED, ZONE, seed, smtp_server, table_of

ACTOR = f"cli:{getpass.getuser()}"


@pytest.fixture
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    rec = tmp_path / "rec"
    for key, value in {
        "CALLCENTER_CONFIG": str(tmp_path / "absent.toml"),
        "CALLCENTER_INSTANCE_DIR": str(tmp_path / "instance"),
        "CALLCENTER_DATABASE__URL": db_url,
        "CALLCENTER_LAB__ENABLED": "false",
        "CALLCENTER_RECORDINGS__DIR": str(rec),
        "CALLCENTER_TIMEZONE": ZONE,
        "CALLCENTER_RETENTION__QUEUES": '{"billing": {"recordings_days": 30, "transcripts_days": 30}}',
    }.items():
        monkeypatch.setenv(key, value)
    engine = make_engine(db_url)
    migrations.upgrade(engine)
    factory = make_session_factory(engine)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    with transaction(factory) as s:
        s.add_all([Queue(name="billing"), Queue(name="support")])
        wang = Customer(name="王芳", phones=[CustomerPhone(number="+8613800138000")])
        s.add(wang)
        s.flush()
        for n, queue, customer in ((1, "billing", None), (2, "support", None), (3, "support", wang.id)):
            c = Call(pbx="lab", linkedid=f"g.{n}", queue_name=queue, started_at=old, customer_id=customer,
                     caller_number="+8613800138000" if customer else None, disposition=Disposition.ANSWERED)
            s.add(c)
            s.flush()
            s.add(Recording(call_id=c.id, party=Party.MIXED, path=f"g{n}.wav"))
            s.add(Transcript(call_id=c.id, text=f"call {n}"))
            write_wav(rec / f"g{n}.wav", 0.1)
    yield factory, rec, wang.id
    engine.dispose()


def test_retention_purge_dry_run_then_for_real(world) -> None:
    factory, rec, _ = world
    runner = CliRunner()
    dry = runner.invoke(main, ["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would be removed" in dry.output and "billing" in dry.output and "support" not in dry.output
    assert sorted(p.name for p in rec.iterdir()) == ["g1.wav", "g2.wav", "g3.wav"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Transcript)) == 3
        assert s.scalar(select(func.count()).select_from(JobRun)) == 0
    done = runner.invoke(main, ["retention", "purge"])
    assert done.exit_code == 0, done.output
    row = next(line for line in done.output.splitlines() if "billing" in line)
    assert [c.strip() for c in row.split("│")[2:6]] == ["1", "1", "1", "0"]  # recordings, files, transcripts, calls
    assert sorted(p.name for p in rec.iterdir()) == ["g2.wav", "g3.wav"]
    with factory() as s:
        run = s.scalar(select(JobRun).where(JobRun.kind == "retention_purge"))
        assert run.outcome == "done" and run.detail["queues"] == {
            "billing": {"recordings": 1, "files": 1, "transcripts": 1, "calls": 0, "messages": 0, "attachments": 0}}
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "retention_purge"))
        assert entry.actor_name == ACTOR and entry.detail["recordings"] == 1
    again = runner.invoke(main, ["retention", "purge"])
    assert again.exit_code == 0 and "nothing removed" in again.output


def test_customer_erase_asks_previews_and_audits(world) -> None:
    factory, rec, wang = world
    runner = CliRunner()
    unknown = runner.invoke(main, ["customer", "erase", "999999"])
    assert unknown.exit_code != 0 and "no customer with id 999999" in unknown.output
    bad = runner.invoke(main, ["customer", "erase", "not-a-number"])
    assert bad.exit_code == 2
    dry = runner.invoke(main, ["customer", "erase", str(wang), "--dry-run"])
    assert dry.exit_code == 0 and "recordings removed: 1 (1 files)" in dry.output and "dry run" in dry.output
    declined = runner.invoke(main, ["customer", "erase", str(wang)], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    with factory() as s:
        assert s.get(Customer, wang).erased_at is None and (rec / "g3.wav").exists()
    done = runner.invoke(main, ["customer", "erase", str(wang), "--reason", "ticket DSR-9"], input="y\n")
    assert done.exit_code == 0, done.output
    assert "calls anonymised: 1" in done.output and "1 recordings, 1 transcripts" in done.output
    assert not (rec / "g3.wav").exists() and (rec / "g2.wav").exists()
    with factory() as s:
        assert s.get(Customer, wang).name == "[erased]"
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "customer_erased"))
        assert entry.actor_name == ACTOR and entry.detail["reason"] == "ticket DSR-9"
    twice = runner.invoke(main, ["customer", "erase", str(wang), "--yes"])
    assert twice.exit_code == 0 and "already erased" in twice.output and "0 recordings" in twice.output


def test_report_daily_prints_and_sends(world, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    factory, _, _ = world
    with transaction(factory) as s:  # the summary's own fixture day, in fresh queues
        s.query(Transcript).delete()
        s.query(Recording).delete()
        s.query(Call).delete()
        s.query(Queue).delete()
    seed(factory)
    runner = CliRunner()
    bad = runner.invoke(main, ["report", "daily", "--date", "23/11/2026"])
    assert bad.exit_code == 2 and "not a date" in bad.output
    out = runner.invoke(main, ["report", "daily", "--date", DAY.isoformat()])
    assert out.exit_code == 0, out.output
    assert table_of(out.output) == EXPECTED
    no_one = runner.invoke(main, ["report", "daily", "--date", DAY.isoformat(), "--send"])
    assert no_one.exit_code == 1 and "no recipients" in no_one.output
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("CALLCENTER_SUMMARY__SMTP_PORT", str(port))
        monkeypatch.setenv("CALLCENTER_SUMMARY__RECIPIENTS", '["boss@example.com"]')
        monkeypatch.setenv("CALLCENTER_SUMMARY__LANGUAGE", "zh")
        sent = runner.invoke(main, ["report", "daily", "--date", DAY.isoformat(), "--send"])
        assert sent.exit_code == 0, sent.output
        (msg,) = inbox.to("boss@example.com")
        assert msg["Subject"] == "每日摘要 2026年11月23日"
    with factory() as s:
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "daily_summary_sent"))
        assert entry.actor_name == ACTOR and entry.object_id == "2026-11-23"
