"""The `callcenter` command, in-process and as a real process with SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from callcenter.cli import main
from callcenter.db import make_engine, make_session_factory
from callcenter.models import AgentProfile, Role, User


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "CALLCENTER_CONFIG": str(tmp_path / "absent.toml"),
        "CALLCENTER_INSTANCE_DIR": str(tmp_path / "instance"),
        "CALLCENTER_DATABASE__URL": db_url,
        "CALLCENTER_LAB__ENABLED": "false",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def test_db_upgrade_and_user_add(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    out = runner.invoke(main, ["user", "add", "ann", "--role", "agent", "--sip-interface", "PJSIP/agent1001"])
    assert out.exit_code == 0, out.output
    assert "one-time password:" in out.output
    out = runner.invoke(main, ["user", "add", "sue", "--role", "supervisor", "--password-stdin"],
                        input="a-long-password-1\n")
    assert out.exit_code == 0 and "one-time password" not in out.output
    dup = runner.invoke(main, ["user", "add", "ann", "--role", "qa"])
    assert dup.exit_code != 0 and "already exists" in dup.output
    short = runner.invoke(main, ["user", "add", "tim", "--role", "qa", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least" in short.output
    engine = make_engine(env["CALLCENTER_DATABASE__URL"])
    with make_session_factory(engine)() as s:
        ann = s.scalar(select(User).where(User.username == "ann"))
        assert ann is not None
        assert ann.role is Role.AGENT and ann.must_change_password
        assert s.scalar(select(AgentProfile.sip_interface)) == "PJSIP/agent1001"
    engine.dispose()


def test_config_show_hides_secrets(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_WEB__SECRET_KEY", "do-not-print-me")
    out = CliRunner().invoke(main, ["config"])
    assert out.exit_code == 0 and "do-not-print-me" not in out.output and "**********" in out.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_web_service_runs_alone_and_stops_cleanly_on_sigterm(env: dict[str, str]) -> None:
    port = _free_port()
    run_env = {**os.environ, **env, "CALLCENTER_WEB__PORT": str(port)}
    subprocess.run([sys.executable, "-m", "callcenter", "db", "upgrade"], env=run_env, check=True,
                   capture_output=True, timeout=60)
    proc = subprocess.Popen([sys.executable, "-m", "callcenter", "web"], env=run_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "web did not come up"
                time.sleep(0.2)
        assert b'"ok"' in body
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert proc.stdout is not None
        output = proc.stdout.read()
        assert f"http://127.0.0.1:{port}" in output and "stopped web" in output
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_knowledge_command_runs_its_service_until_sigterm(env: dict[str, str]) -> None:
    """``callcenter knowledge``, as an operator's unit file names it beside ``callcenter ami`` ...: the name is also
    a command group, and without a command it runs the service (not its help, which exits at once)."""
    from callcenter.cli.services import SERVICE_NAMES

    run_env = {**os.environ, **env}
    subprocess.run([sys.executable, "-m", "callcenter", "db", "upgrade"], env=run_env, check=True,
                   capture_output=True, timeout=60)
    for name in ("knowledge",):
        assert name in SERVICE_NAMES
        proc = subprocess.Popen([sys.executable, "-m", "callcenter", name], env=run_env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.5)  # it must still be running at the end: a help text or a crash exits at once
            assert proc.poll() is None, (name, proc.stdout.read() if proc.stdout else "")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0, name
            assert proc.stdout is not None
            output = proc.stdout.read()
            assert f"stopped {name}" in output and "Usage:" not in output, output
        finally:
            if proc.poll() is None:
                proc.kill()
