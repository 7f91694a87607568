"""API tokens: revoke, expiry and scopes checked per endpoint; who may mint whose; the admin pages and the CLI.

Finding 8 of the security review: a token was one hash per user, for ever,
with every right of its owner.
"""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callcenter.access import accounts, tokens
from callcenter.access.audit import Actor
from callcenter.cli import main
from callcenter.db import transaction
from callcenter.models import ApiToken, AuditLog, User, utcnow

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _named(s: Session, username: str) -> User:
    return s.scalars(select(User).where(User.username == username)).one()


def _mint(session_factory, username: str, scopes: str = "all", minter: str | None = None) -> tuple[int, str]:
    with transaction(session_factory) as s:
        actor = Actor.system("test") if minter is None else Actor.of(_named(s, minter))
        row, secret = tokens.mint(s, _named(s, username), actor, scopes=scopes)
        return row.id, secret


def _actions(session_factory, action: str) -> list[AuditLog]:
    with session_factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _admin_client(app):
    client = app.test_client()
    sign_in(client, "ada", PASSWORD)
    return client, csrf_token(client, "/admin/users")


def test_revoked_token_gets_401_json_and_is_audited(client, shop, session_factory) -> None:
    token_id, secret = _mint(session_factory, "ann")
    assert client.get("/api/v1/tickets", headers=_bearer(secret)).status_code == 200
    with transaction(session_factory) as s:
        tokens.revoke(s, token_id, Actor.system("test"))
    resp = client.get("/api/v1/tickets", headers=_bearer(secret))
    assert resp.status_code == 401
    problem = resp.get_json()  # RFC 9457 problem details, with our error/message/fields members
    assert resp.mimetype == "application/problem+json" and problem["status"] == 401
    assert (problem["error"], problem["message"], problem["fields"]) == ("unauthorized", "token revoked", {})
    assert [r.outcome for r in _actions(session_factory, "api_token_revoked")] == ["ok"]
    refused = _actions(session_factory, "api_token_refused")
    assert refused[-1].detail["reason"] == "revoked" and refused[-1].actor_name == "ann"


def test_expired_token_gets_401(client, shop, session_factory) -> None:
    token_id, secret = _mint(session_factory, "ann")
    with transaction(session_factory) as s:
        s.execute(update(ApiToken).where(ApiToken.id == token_id)
                  .values(expires_at=utcnow() - dt.timedelta(minutes=1)))
    resp = client.get("/api/v1/tickets", headers=_bearer(secret))
    assert resp.status_code == 401 and resp.get_json()["message"] == "token expired"
    assert _actions(session_factory, "api_token_refused")[-1].detail["reason"] == "expired"


def test_read_only_token_cannot_post(client, shop, session_factory) -> None:
    _, secret = _mint(session_factory, "ann", scopes="read")
    assert client.get("/api/v1/tickets", headers=_bearer(secret)).status_code == 200
    resp = client.post("/api/v1/tickets", headers=_bearer(secret), json={"subject": "x", "priority": "high"})
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "insufficient_scope" and "tickets:write" in resp.get_json()["message"]
    denied = _actions(session_factory, "api_scope_denied")
    assert denied[-1].outcome == "denied" and denied[-1].detail["needed"] == "tickets:write"


def test_a_scope_opens_only_its_resource(client, shop, session_factory) -> None:
    _, secret = _mint(session_factory, "ann", scopes="tickets:read tickets:write")
    created = client.post("/api/v1/tickets", headers=_bearer(secret), json={"subject": "x", "priority": "high"})
    assert created.status_code == 201
    assert client.get("/api/v1/calls", headers=_bearer(secret)).status_code == 403


def test_openapi_names_the_scope_of_each_operation(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/tickets"]["post"]
    assert post["security"] == [{"bearer": ["tickets:write"]}] and post["x-scope"] == "tickets:write"
    assert spec["paths"]["/api/v1/calls"]["get"]["x-scope"] == "calls:read"
    ops = [op for path in spec["paths"].values() for op in path.values()]
    assert len(ops) > 10 and all(op["security"] == [{"bearer": [op["x-scope"]]}] for op in ops)


def test_admin_may_not_mint_another_admins_token(app, shop, session_factory) -> None:
    with transaction(session_factory) as s:
        accounts.create_user(s, "alma", "admin", PASSWORD)
        alma_id = s.scalar(select(User.id).where(User.username == "alma"))
    client, csrf = _admin_client(app)
    resp = client.post(f"/admin/users/{alma_id}/token", data={"csrf_token": csrf, "scopes": ["tickets:read"]})
    assert resp.status_code == 403
    with session_factory() as s:
        assert s.scalar(select(ApiToken).where(ApiToken.user_id == alma_id)) is None
    refused = _actions(session_factory, "api_token_refused")
    assert refused[-1].outcome == "denied" and refused[-1].actor_name == "ada" and refused[-1].detail["owner"] == "alma"


def test_supervisor_may_not_mint_for_a_higher_role_but_for_an_agent(shop, session_factory) -> None:
    with pytest.raises(tokens.TokenRefused):
        _mint(session_factory, "ada", minter="sue")
    _mint(session_factory, "ann", minter="sue")
    issued = _actions(session_factory, "api_token_issued")[-1]
    assert issued.actor_name == "sue" and issued.detail["for_another_user"] is True and issued.detail["owner"] == "ann"


def test_minted_token_page_is_never_cached_and_the_list_never_shows_it(app, shop, session_factory) -> None:
    client, csrf = _admin_client(app)
    sam = shop.users["sam"]
    resp = client.post(f"/admin/users/{sam}/token",
                       data={"csrf_token": csrf, "scopes": ["tickets:read", "calls:read"], "expires_days": "30",
                             "name": "CRM"})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Pragma"] == "no-cache"
    secret = resp.get_data(as_text=True).split('<code class="token">')[1].split("</code>")[0]
    assert secret.startswith("cc_")
    listing = client.get(f"/admin/users/{sam}/tokens").get_data(as_text=True)
    assert secret not in listing and secret[:10] in listing and "CRM" in listing
    with session_factory() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.user_id == sam, ApiToken.name == "CRM"))
        assert row.token_hash == tokens.digest(secret) and row.scopes == ["calls:read", "tickets:read"]
        assert row.expires_at is not None and 29 < (row.expires_at - utcnow()).days + 1 <= 30
    revoke = client.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": csrf})
    assert revoke.status_code == 303
    assert app.test_client().get("/api/v1/tickets", headers=_bearer(secret)).status_code == 401


def test_cli_create_list_revoke(container, shop, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("CALLCENTER_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("CALLCENTER_DATABASE__URL", container.settings.database.url)
    monkeypatch.setenv("CALLCENTER_LAB__ENABLED", "false")
    runner = CliRunner()
    out = runner.invoke(main, ["token", "create", "ann", "--scopes", "tickets:read", "--expires-days", "7",
                               "--name", "export"])
    assert out.exit_code == 0, out.output
    head, secret = out.output.strip().splitlines()
    assert "scopes tickets:read" in head and secret.startswith("cc_")
    token_id = int(head.split()[1])
    listed = runner.invoke(main, ["token", "list", "ann"])
    assert listed.exit_code == 0 and secret not in listed.output
    line = next(x for x in listed.output.splitlines() if x.startswith(f"{token_id}\t"))
    assert secret[:10] in line and "\tactive\t" in line and "export" in line
    revoked = runner.invoke(main, ["token", "revoke", str(token_id)])
    assert revoked.exit_code == 0, revoked.output
    assert "\trevoked\t" in runner.invoke(main, ["token", "list"]).output
    bad = runner.invoke(main, ["token", "create", "ann", "--scopes", "everything"])
    assert bad.exit_code != 0 and "unknown scope" in bad.output.lower()
    actions = [r.actor_name for r in _actions(container.session_factory, "api_token_revoked")]
    assert actions and actions[-1].startswith("cli:")
