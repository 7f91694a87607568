"""Sign-in, the one-time admin password, CSRF, rate limiting, audit, Chinese UI."""
from __future__ import annotations

from sqlalchemy import func, select

from callcenter.access import accounts
from callcenter.db import transaction
from callcenter.models import AuditLog, User

from .webtools import csrf_token, make_user, sign_in


def _last_audit_id(session_factory) -> int:
    """Rows written so far (the app's own start-up, creating users) are not what a test looks at."""
    with session_factory() as s:
        return s.scalar(select(func.max(AuditLog.id))) or 0


def test_pages_need_sign_in(client) -> None:
    resp = client.get("/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_first_admin_one_time_password_must_be_changed(client, session_factory) -> None:
    with transaction(session_factory) as s:
        password = accounts.ensure_first_admin(s)
    assert password
    with transaction(session_factory) as s:
        assert accounts.ensure_first_admin(s) is None  # only once
    before = _last_audit_id(session_factory)
    resp = sign_in(client, "admin", password)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/password")
    # Every other page leads back to the change-password form.
    assert client.get("/").headers["Location"].endswith("/auth/password")
    token = csrf_token(client, "/auth/password")
    resp = client.post("/auth/password", data={"current": password, "new": "a-new-long-password",
                                               "confirm": "a-new-long-password", "csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/").status_code == 200
    with session_factory() as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert not admin.must_change_password
        assert accounts.check_password(admin, "a-new-long-password")
        actions = [a.action for a in s.scalars(select(AuditLog).where(AuditLog.id > before).order_by(AuditLog.id))]
    assert actions == ["sign_in", "password_changed"]


def test_wrong_password_is_refused_and_audited(client, session_factory) -> None:
    make_user(session_factory, "ann", "agent")
    before = _last_audit_id(session_factory)
    resp = sign_in(client, "ann", "not-the-password")
    assert resp.status_code == 401
    assert "Wrong username or password." in resp.get_data(as_text=True)
    with session_factory() as s:
        (row,) = s.scalars(select(AuditLog).where(AuditLog.id > before)).all()
        assert (row.action, row.outcome, row.actor_name) == ("sign_in", "failed", "ann")
        assert "not-the-password" not in str(row.detail)


def test_forged_csrf_is_refused(client, session_factory) -> None:
    make_user(session_factory, "bob", "agent")
    resp = client.post("/auth/login", data={"username": "bob", "password": "correct-horse-1",
                                            "csrf_token": "forged"})
    assert resp.status_code == 400
    assert client.get("/").status_code == 302  # still signed out


def test_sign_in_is_rate_limited(client, session_factory) -> None:
    make_user(session_factory, "eve", "agent")
    codes = [sign_in(client, "eve", "wrong-password!").status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[-1] == 429


def test_ui_speaks_simplified_chinese(client, session_factory) -> None:
    html = client.get("/auth/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "登录" in html and 'lang="zh-CN"' in html
    make_user(session_factory, "li", "agent")
    sign_in(client, "li")
    token = csrf_token(client, "/")
    client.post("/language", data={"lang": "zh", "csrf_token": token})
    assert "首页" in client.get("/").get_data(as_text=True)
    with session_factory() as s:
        assert s.scalar(select(User.language).where(User.username == "li")) == "zh"


def test_security_headers_and_cookie_flags(client, session_factory) -> None:
    make_user(session_factory, "sue", "supervisor")
    resp = sign_in(client, "sue")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_next_parameter_never_leaves_the_site(client, session_factory) -> None:
    make_user(session_factory, "max", "agent")
    token = csrf_token(client)
    resp = client.post("/auth/login?next=//evil.example/x", data={
        "username": "max", "password": "correct-horse-1", "csrf_token": token})
    assert resp.headers["Location"] == "/"
