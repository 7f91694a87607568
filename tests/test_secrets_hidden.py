"""Finding 9: no password or secret leaves through the CLI, a log line, an error or a repr."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from callcenter.cli import HidingFormatter, main
from callcenter.config import Settings, hide_password, hide_passwords

PG_URL = "postgresql://cc:s3cr3t@127.0.0.1:1/cc"


@pytest.fixture
def pg_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 1: nothing listens, so every command that touches the database fails at once.
    for k, v in {"CALLCENTER_CONFIG": str(tmp_path / "absent.toml"),
                 "CALLCENTER_INSTANCE_DIR": str(tmp_path / "instance"),
                 "CALLCENTER_DATABASE__URL": PG_URL, "CALLCENTER_LAB__ENABLED": "false",
                 "CALLCENTER_LAB__MIRROR": "http://mirror:m1rr0rpw@deb.example/debian",
                 "CALLCENTER_WEB__SECRET_KEY": "web-key-value",
                 "CALLCENTER_SUMMARY__SMTP_PASSWORD": "smtp-pw-value"}.items():
        monkeypatch.setenv(k, v)


@pytest.mark.parametrize("url", [
    "postgresql://cc:s3cr3t@db/cc", "postgresql+psycopg://cc:s3cr3t@db:5432/cc?sslmode=require",
    "postgresql://cc@db/cc?password=s3cr3t", "postgresql://cc:s3cr3t@s3cr3t@db/cc", "http://u:s3cr3t@[bad/",
])
def test_hide_password_hides_every_form_of_a_password(url: str) -> None:
    assert "s3cr3t" not in hide_password(url)


def test_hide_password_keeps_urls_without_secrets_as_written() -> None:
    for url in ("sqlite:////var/lib/cc/cc.db", "sqlite://", "postgresql://cc@db/cc", "http://deb.debian.org/debian"):
        assert hide_password(url) == url
    assert hide_password("postgresql://cc:s3cr3t@db/cc") == "postgresql://cc:***@db/cc"


def test_config_command_hides_the_database_password(pg_env: None) -> None:
    out = CliRunner().invoke(main, ["config"])
    assert out.exit_code == 0, out.output
    for secret in ("s3cr3t", "m1rr0rpw", "web-key-value", "smtp-pw-value"):
        assert secret not in out.output
    assert "postgresql://cc:***@127.0.0.1:1/cc" in out.output


def test_settings_repr_and_str_hide_the_database_password(pg_env: None) -> None:
    s = Settings()
    assert s.database.url == PG_URL  # the real value is still there for connecting
    for text in (repr(s), str(s), repr(s.database), str(s.redacted())):
        assert "s3cr3t" not in text and "m1rr0rpw" not in text


@pytest.mark.parametrize("args", [["dispatch", "status"], ["db", "upgrade"]])
def test_database_errors_are_reported_without_the_password(pg_env: None, args: list[str]) -> None:
    out = CliRunner().invoke(main, args)
    assert out.exit_code != 0
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception  # a clean error
    assert "database error" in out.output and "s3cr3t" not in out.output


def test_log_lines_and_tracebacks_hide_urls_and_secrets(pg_env: None) -> None:
    settings = Settings()
    fmt = HidingFormatter("%(message)s", settings.secret_values())
    try:
        raise RuntimeError(f"cannot connect to {PG_URL} with key web-key-value")
    except RuntimeError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "bus lost %s (%s)", (PG_URL, "password=s3cr3t"),
                                   exc_info=__import__("sys").exc_info())
    text = fmt.format(record)
    assert "s3cr3t" not in text and "web-key-value" not in text and "cc:***@127.0.0.1" in text


def test_secret_values_lists_what_logs_must_hide(pg_env: None) -> None:
    assert {"s3cr3t", "web-key-value", "smtp-pw-value"} <= set(Settings().secret_values())
    assert hide_passwords("key=web-key-value", Settings().secret_values()) == "key=***"


def test_the_page_showing_a_new_api_token_is_never_cached(app, shop) -> None:
    from tests.deskdata import PASSWORD
    from tests.webtools import csrf_token, sign_in

    client = app.test_client()
    sign_in(client, "ada", PASSWORD)
    resp = client.post(f"/admin/users/{shop.users['ann']}/token",
                       data={"csrf_token": csrf_token(client, "/admin/users")})
    assert resp.status_code == 200 and "cc_" in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
