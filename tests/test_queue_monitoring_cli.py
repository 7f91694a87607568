"""`callcenter queue monitoring NAME on|off`: a queue's calls kept private from supervisors, audited."""
from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from callcenter import migrations
from callcenter.cli import main
from callcenter.db import make_engine, make_session_factory, transaction
from callcenter.models import AuditLog, Queue


def test_turning_monitoring_off_and_on(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"CALLCENTER_CONFIG": str(tmp_path / "absent.toml"),
                       "CALLCENTER_INSTANCE_DIR": str(tmp_path / "instance"),
                       "CALLCENTER_DATABASE__URL": db_url, "CALLCENTER_LAB__ENABLED": "false"}.items():
        monkeypatch.setenv(key, value)
    engine = make_engine(db_url)
    migrations.upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        s.add(Queue(name="vip"))
    runner = CliRunner()
    off = runner.invoke(main, ["queue", "monitoring", "vip", "off"])
    assert off.exit_code == 0, off.output
    missing = runner.invoke(main, ["queue", "monitoring", "nosuch", "off"])
    assert missing.exit_code != 0 and "no queue 'nosuch'" in missing.output
    with factory() as s:
        assert s.scalars(select(Queue).where(Queue.name == "vip")).one().monitoring_allowed is False
        row = s.scalars(select(AuditLog).where(AuditLog.action == "queue_monitoring")).one()
        assert row.actor_name == f"cli:{getpass.getuser()}" and row.detail["old"] is True and row.detail["new"] is False
    assert runner.invoke(main, ["queue", "monitoring", "vip", "on"]).exit_code == 0
    with factory() as s:
        assert s.scalars(select(Queue).where(Queue.name == "vip")).one().monitoring_allowed is True
    engine.dispose()
