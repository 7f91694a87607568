"""Finding 7: sign-in does not tell who exists, limits guessing per address too, shares the count across
processes, and trusts X-Forwarded-For only from configured proxies."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.access import accounts
from callcenter.db import transaction
from callcenter.models import AuditLog, User, utcnow
from callcenter.wiring import Container

from .webtools import csrf_token, make_user, sign_in


def _failures() -> Any:
    # Imported here, not at the top, so the file also runs (and fails test by test) on the code before the fix.
    from callcenter.models import SignInFailure

    return SignInFailure


@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every hash check_password_hash is asked to compare against, in order."""
    seen: list[str] = []
    from werkzeug.security import check_password_hash as real

    def spy(pwhash: str, password: str) -> bool:
        seen.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    return seen


def test_unknown_user_costs_one_hash_check_like_a_real_one(client, session_factory, hash_checks) -> None:
    make_user(session_factory, "ann", "agent")
    assert sign_in(client, "ann", "wrong-password!").status_code == 401
    assert sign_in(client, "nobody-here", "wrong-password!").status_code == 401
    assert len(hash_checks) == 2
    # The dummy is made with the method in force (tests use cheap pbkdf2, production scrypt).
    assert hash_checks[1].startswith(accounts.PASSWORD_METHOD + "$")
    assert hash_checks[0].split("$")[0] == hash_checks[1].split("$")[0]


def test_inactive_user_costs_one_hash_check_too(client, session_factory, hash_checks) -> None:
    user_id = make_user(session_factory, "ann", "agent")
    with transaction(session_factory) as s:
        user = s.get(User, user_id)
        assert user is not None
        user.is_active = False
    assert sign_in(client, "ann").status_code == 401  # even with the right password
    assert len(hash_checks) == 1


def test_dummy_hash_follows_the_method_at_check_time(monkeypatch: pytest.MonkeyPatch, hash_checks) -> None:
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:2000")
    assert not accounts.check_password(None, "whatever")
    assert hash_checks[-1].startswith("pbkdf2:sha256:2000$")


def test_one_address_spraying_many_usernames_is_stopped(app, client, session_factory) -> None:
    app.extensions["container"].settings.web.sign_in_failures_per_address = 5
    make_user(session_factory, "ann", "agent")
    codes = [sign_in(client, f"user{i}", "Winter2026!!").status_code for i in range(5)]
    assert codes == [401] * 5
    resp = sign_in(client, "ann")  # even the right password waits now
    assert resp.status_code == 429
    assert "Too many failed sign-ins" in resp.get_data(as_text=True)
    with session_factory() as s:
        outcomes = s.scalars(select(AuditLog.outcome).where(AuditLog.action == "sign_in")).all()
    assert outcomes.count("throttled") == 1


def test_another_address_is_not_held_up(app, session_factory) -> None:
    app.extensions["container"].settings.web.sign_in_failures_per_address = 3
    make_user(session_factory, "ann", "agent")
    a = app.test_client()
    for i in range(3):
        sign_in(a, f"user{i}", "wrong-password!")
    assert sign_in(a, "ann").status_code == 429
    b = app.test_client()
    b.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert sign_in(b, "ann").status_code == 302


def test_limits_are_shared_by_web_processes_on_one_database(app, client, settings, session_factory) -> None:
    """Two apps with their own containers and engines, as two web processes would have."""
    from web import create_app
    from web.extensions import limiter

    make_user(session_factory, "eve", "agent")
    assert [sign_in(client, "eve", "wrong-password!").status_code for _ in range(10)] == [401] * 10
    limiter.reset()  # a second process has none of the first one's memory
    second = Container(settings)
    try:
        other = create_app(container=second, test_config={"TESTING": True}).test_client()
        assert sign_in(other, "eve", "wrong-password!").status_code == 429
        assert sign_in(other, "eve").status_code == 429  # the right password waits too
    finally:
        second.close()
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(_failures())) == 10


def test_right_password_clears_its_own_failures(client, session_factory) -> None:
    make_user(session_factory, "ann", "agent")
    for _ in range(9):
        sign_in(client, "ann", "wrong-password!")
    assert sign_in(client, "ann").status_code == 302
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(_failures())) == 0


def test_old_failures_are_pruned_and_not_counted(session_factory) -> None:
    from callcenter.access import signin_limits
    from callcenter.access.signin_limits import SignInLimits
    from callcenter.models import SignInFailure

    limits = SignInLimits(window=dt.timedelta(minutes=15), per_account=2, per_address=5)
    now = utcnow()
    with transaction(session_factory) as s:
        s.add_all([SignInFailure(address="10.0.0.1", username="ann", at=now - dt.timedelta(hours=1))
                   for _ in range(3)])
    with transaction(session_factory) as s:
        assert not signin_limits.refused(s, limits, "10.0.0.1", "ann", now)
        signin_limits.failed(s, limits, "10.0.0.1", "ANN ", now)
    with session_factory() as s:
        assert s.scalars(select(SignInFailure.username)).all() == ["ann"]
        signin_limits.failed(s, limits, "10.0.0.1", "ann", now)
        assert signin_limits.refused(s, limits, "10.0.0.1", "ann", now)
        assert not signin_limits.refused(s, limits, "10.0.0.1", "bob", now)


def _failed_from(app: Any, session_factory: Any) -> tuple[str | None, str]:
    client = app.test_client()
    assert sign_in_with_header(client).status_code == 401
    with session_factory() as s:
        ip = s.scalars(select(AuditLog.ip).where(AuditLog.action == "sign_in")).all()[-1]
        address = s.scalars(select(_failures().address)).all()[-1]
    return ip, address


def sign_in_with_header(client: Any) -> Any:
    headers = {"X-Forwarded-For": "203.0.113.9"}
    token = csrf_token(client)
    return client.post("/auth/login", headers=headers, data={
        "username": "ann", "password": "wrong-password!", "csrf_token": token})


def test_forwarded_for_is_ignored_without_trusted_proxies(app, session_factory) -> None:
    make_user(session_factory, "ann", "agent")
    assert _failed_from(app, session_factory) == ("127.0.0.1", "127.0.0.1")


def test_forwarded_for_is_believed_from_one_trusted_proxy(container, session_factory) -> None:
    from web import create_app

    container.settings.web.trusted_proxies = 1
    app = create_app(container=container, test_config={"TESTING": True})
    make_user(session_factory, "ann", "agent")
    assert _failed_from(app, session_factory) == ("203.0.113.9", "203.0.113.9")
