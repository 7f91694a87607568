"""The desk's softphone settings (GET /desk/phone), softphone extensions (admin, CLI), pjsip_webrtc.conf.

Each agent gets only their own endpoint and password, never cached; agents
without an extension keep their desk phone and see no phone in the page.
"""
from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import select

from callcenter.access import accounts
from callcenter.cli import main
from callcenter.db import transaction
from callcenter.models import AuditLog, User
from callcenter.pbx import webrtc
from callcenter.softphone import credentials

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

SECRET = "a-softphone-secret-for-tests"


@pytest.fixture
def phone_shop(container, shop):
    """The shop, with a softphone secret and ann on extension 1001 (her desk phone stays agent1001)."""
    container.settings.softphone.secret = SecretStr(SECRET)
    with transaction(container.session_factory) as s:
        accounts.set_extension(s, shop.users["ann"], "1001", accounts.SETUP)
    return shop


def test_an_agent_gets_only_her_own_softphone_never_cached(client, phone_shop, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sign_in(client, "ann", PASSWORD)
    resp = client.get("/desk/phone")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["uri"] == "sip:webrtc1001@127.0.0.1" and body["authorization_user"] == "webrtc1001"
    assert body["password"] == webrtc.password(SECRET, "webrtc1001")
    assert body["ws_url"] == "ws://127.0.0.1:8088/ws" and body["ice_servers"] == []
    assert body["display_name"] == "ann" and body["register_expires"] > 0
    # Nobody else's: no query argument picks another endpoint.
    other = client.get(f"/desk/phone?extension=1002&user_id={phone_shop.users['bob']}").get_json()
    assert other["authorization_user"] == "webrtc1001"
    assert body["password"] not in caplog.text


def test_an_agent_without_an_extension_is_told_why(client, phone_shop) -> None:
    sign_in(client, "bob", PASSWORD)
    resp = client.get("/desk/phone")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.get_json()["error"] == "no_extension" and "password" not in resp.get_json()


def test_qa_may_not_ask_and_signed_out_is_sent_to_sign_in(client, phone_shop) -> None:
    assert client.get("/desk/phone").status_code in (302, 401)
    sign_in(client, "quinn", PASSWORD)
    assert client.get("/desk/phone").status_code == 403


@pytest.mark.parametrize("change, reason", [
    (lambda s: setattr(s.softphone, "enabled", False), "disabled"),
    (lambda s: setattr(s.softphone, "extensions", ["1002"]), "unknown_extension"),
    (lambda s: setattr(s.softphone, "secret", SecretStr("")), "not_configured"),
])
def test_refused_when_the_softphone_cannot_work(client, container, phone_shop, change, reason) -> None:
    change(container.settings)
    sign_in(client, "ann", PASSWORD)
    resp = client.get("/desk/phone")
    assert resp.status_code == 404 and resp.get_json()["error"] == reason


def test_the_desk_shows_the_phone_only_to_agents_with_a_softphone(client, phone_shop) -> None:
    sign_in(client, "ann", PASSWORD)
    html = client.get("/desk/").get_data(as_text=True)
    assert 'id="softphone"' in html and 'id="phone-answer"' in html and "softphone.js" in html
    assert "jssip.min.js" in html
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/desk/")})
    sign_in(client, "bob", PASSWORD)
    html = client.get("/desk/").get_data(as_text=True)
    assert 'id="softphone"' not in html and "softphone.js" not in html and 'id="pop"' in html


def test_the_password_stays_out_of_reprs() -> None:
    found = credentials.PhoneSettings("1001", "ws://x", "sip:a@b", "a", "s3cret-value", "A", [], 300)
    assert "s3cret-value" not in repr(found)


def test_ice_servers_from_urls() -> None:
    assert credentials.ice_servers(["stun:stun.example.org:3478", "turn:agent:pw@turn.example.org:3478"]) == [
        {"urls": "stun:stun.example.org:3478"},
        {"urls": "turn:turn.example.org:3478", "username": "agent", "credential": "pw"}]


def test_extensions_are_digits_and_one_agent_each(container, phone_shop) -> None:
    with transaction(container.session_factory) as s:
        for bad in ("10a1", "1", "123456789"):
            with pytest.raises(accounts.AccountError, match="2-8 digits"):
                accounts.set_extension(s, phone_shop.users["bob"], bad, accounts.SETUP)
        with pytest.raises(accounts.AccountError, match="another user"):
            accounts.set_extension(s, phone_shop.users["bob"], "1001", accounts.SETUP)
        accounts.set_extension(s, phone_shop.users["sue"], "1901", accounts.SETUP)  # a supervisor gets a profile
    with container.session_factory() as s:
        sue = s.get(User, phone_shop.users["sue"])
        assert sue is not None and sue.agent is not None and sue.agent.extension == "1901"
        row = s.scalars(select(AuditLog).where(AuditLog.action == "user_extension_changed")
                        .order_by(AuditLog.id.desc())).first()
        assert row is not None and row.object_id == str(phone_shop.users["sue"])


def test_admin_sets_and_clears_an_extension(client, container, phone_shop) -> None:
    """The user's page sets the softphone extension with the rest of the agent profile."""
    sign_in(client, "ada", PASSWORD)
    token = csrf_token(client, "/admin/users")
    bob = phone_shop.users["bob"]
    profile = {"csrf_token": token, "sip_interface": "PJSIP/agent1002", "capacity": "20", "seniority": "1",
               "queues": ["sales"]}
    resp = client.post(f"/admin/users/{bob}/profile", data={**profile, "extension": "1002"})
    assert resp.status_code == 303
    taken = client.post(f"/admin/users/{bob}/profile", data={**profile, "extension": "1001"})
    assert taken.status_code == 400 and "belongs to another user" in taken.get_data(as_text=True)
    created = client.post("/admin/users", data={"csrf_token": token, "username": "cat", "role": "agent",
                                                "extension": "1003"})
    assert created.status_code == 200
    with container.session_factory() as s:
        bob_row = s.get(User, bob)
        cat = s.scalar(select(User).where(User.username == "cat"))
        assert bob_row is not None and bob_row.agent is not None and bob_row.agent.extension == "1002"
        assert cat is not None and cat.agent is not None and cat.agent.extension == "1003"
    client.post(f"/admin/users/{bob}/profile", data={**profile, "extension": ""})
    with container.session_factory() as s:
        bob_row = s.get(User, bob)
        assert bob_row is not None and bob_row.agent is not None and bob_row.agent.extension is None


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in {"CALLCENTER_CONFIG": str(tmp_path / "absent.toml"),
                       "CALLCENTER_INSTANCE_DIR": str(tmp_path / "instance"),
                       "CALLCENTER_DATABASE__URL": db_url, "CALLCENTER_LAB__ENABLED": "false",
                       "CALLCENTER_SOFTPHONE__SECRET": SECRET}.items():
        monkeypatch.setenv(key, value)
    return tmp_path


def test_cli_extension_and_webrtc_conf(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    out = runner.invoke(main, ["user", "add", "ann", "--role", "agent", "--name", 'Ann "A"; Lee',
                               "--extension", "1001"])
    assert out.exit_code == 0, out.output
    assert runner.invoke(main, ["user", "add", "bob", "--role", "agent"]).exit_code == 0
    dup = runner.invoke(main, ["user", "extension", "bob", "1001"])
    assert dup.exit_code != 0 and "another user" in dup.output
    assert runner.invoke(main, ["user", "extension", "bob", "1002"]).exit_code == 0
    target = env / "etc" / "pjsip_webrtc.conf"
    out = runner.invoke(main, ["pbx", "webrtc-conf", "--output", str(target)])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == f"wrote {target} (12 endpoints)"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text()
    password = webrtc.password(SECRET, "webrtc1001")
    assert f"password = {password}" in text and password not in out.output
    assert 'callerid = "Ann A Lee" <1001>' in text and 'callerid = "bob" <1002>' in text
    assert "[webrtc1010](webrtc-endpoint)" in text


def test_cli_webrtc_conf_refuses_without_a_secret(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_SOFTPHONE__SECRET", "")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    out = runner.invoke(main, ["pbx", "webrtc-conf", "--output", str(env / "x.conf")])
    assert out.exit_code != 0 and "secret" in out.output and not (env / "x.conf").exists()
