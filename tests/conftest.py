"""Shared fixtures: a fresh database on SQLite *and* PostgreSQL, the app, a client.

Every test that takes ``db_url`` (or anything built on it) runs once per
engine.  With ``CI=true`` a missing PostgreSQL fails the run instead of
skipping it.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from callcenter import migrations
from callcenter.config import Settings
from callcenter.wiring import Container
from tests.support.browser import browser, live_container, live_server, phone_browser  # noqa: F401
from tests.support.lab_fixtures import lab_pbx, lab_pbx_b  # noqa: F401
from tests.support.templates import FRESH_PG, Templates

if TYPE_CHECKING:
    import psycopg
    from click.testing import CliRunner
    from flask import Flask
    from flask.testing import FlaskClient, FlaskCliRunner
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from tests.deskdata import Shop
    from tests.support.mailservers import Account, Dovecot, SMTPInbox

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("CALLCENTER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on the lab PBX goes to one xdist worker (``make test`` runs ``--dist loadgroup``): the
    lab is one machine-wide resource (its ports, SIPp's ports, Asterisk's state), held by one session."""
    for item in items:
        if "lab_pbx" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("lab"))


def require(ok: bool, what: str) -> None:
    """Skip locally when a real dependency is missing; fail in CI."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI (CI=true) but is not available")
    pytest.skip(f"{what} not available")


def _pg_admin() -> psycopg.Connection[Any]:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True,
                           connect_timeout=3)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt is deliberately slow; tests create many users."""
    monkeypatch.setattr("callcenter.access.accounts.PASSWORD_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session."""
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001 - reported through require()
        require(False, f"PostgreSQL at {PG_ADMIN_URL} ({exc})")
    name = f"cc_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, on each engine in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server = request.getfixturevalue("pg_server")
    admin = _pg_admin()
    name = f"{FRESH_PG}{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        instance_dir=tmp_path / "instance",
        database={"url": db_url},
        lab={"enabled": False},
        web={"secret_key": "test-secret-key", "port": 0},
        recordings={"dir": tmp_path / "recordings"},
    )


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """This worker's migrated template databases (tests/support/templates.py)."""
    admin = None
    try:
        admin = _pg_admin()
    except Exception:  # noqa: BLE001 - PostgreSQL tests fail or skip through pg_server's require()
        admin = None
    found = Templates(tmp_path_factory.mktemp("templates"), admin, PG_ADMIN_URL.rsplit("/", 1)[0])
    yield found
    if admin is not None:
        found.close()
        admin.close()


@pytest.fixture
def container(settings: Settings, _templates: Templates) -> Iterator[Container]:
    """The wired services on a migrated database: a copy of this worker's template when the test's database
    is the suite's own fresh one, otherwise migrated here."""
    _templates.prepare(settings.database.url)
    c = Container(settings)
    migrations.upgrade(c.engine)  # a no-op on a copy at head; the real thing for any other database
    yield c
    c.close()


@pytest.fixture
def engine(container: Container) -> Engine:
    return container.engine


@pytest.fixture
def session_factory(container: Container) -> sessionmaker[Session]:
    return container.session_factory


@pytest.fixture
def app(container: Container) -> Flask:
    from web import create_app

    return create_app(container=container, test_config={"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def shop(container: Container) -> Shop:
    """A small call centre: team, queues, agents, calls, recordings, tickets."""
    from tests import deskdata

    return deskdata.build(container.session_factory, container.settings.recordings_dir())


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The ``callcenter`` command against a fresh, migrated database of ``db_url`` (no config file, no lab)."""
    from click.testing import CliRunner

    from callcenter.cli import main

    for key, value in {"CALLCENTER_CONFIG": str(tmp_path / "absent.toml"),
                       "CALLCENTER_INSTANCE_DIR": str(tmp_path / "instance"),
                       "CALLCENTER_DATABASE__URL": db_url, "CALLCENTER_LAB__ENABLED": "false"}.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    return runner


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


# -- real mail servers (tests/support/mailservers.py): one private Dovecot per module, a mailbox and an
# SMTP server (aiosmtpd) per test
@pytest.fixture(scope="module")
def mail_server() -> Iterator[Dovecot]:
    from tests.support.mailservers import dovecot, dovecot_available

    assert dovecot_available(), "Dovecot is needed: make deps installs dovecot-imapd"
    with dovecot() as server:
        yield server


@pytest.fixture
def account(mail_server: Dovecot) -> Account:
    return mail_server.account()


@pytest.fixture
def smtp() -> Iterator[tuple[SMTPInbox, int]]:
    from tests.support.mailservers import smtp_inbox

    with smtp_inbox() as pair:
        yield pair
