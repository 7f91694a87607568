"""Finding 3: a session ends on the server: sign-out, password change, deactivation, role change, timeouts.

"A copied cookie" is a second test client given the first one's session
cookie, as a thief would paste it into another browser.
"""
from __future__ import annotations

import time
from typing import Any

from callcenter.access import accounts
from callcenter.access.audit import Actor
from callcenter.db import transaction

from .webtools import csrf_token, make_user, sign_in

ADMIN = Actor.system("test-admin")
ENDED = "Your session has ended, please sign in again."


def _signed_in_pair(app: Any, client: Any, session_factory: Any, role: str = "agent") -> tuple[int, Any]:
    user_id = make_user(session_factory, "ann", role)
    assert sign_in(client, "ann").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    return user_id, thief


def _refused(thief: Any, message: str = ENDED) -> None:
    resp = thief.get("/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert message in thief.get(resp.headers["Location"]).get_data(as_text=True)
    assert thief.get("/").status_code == 302  # and it stays signed out


def test_copied_cookie_is_refused_after_sign_out(app, client, session_factory) -> None:
    _, thief = _signed_in_pair(app, client, session_factory)
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    _refused(thief)


def test_copied_cookie_is_refused_after_password_change(app, client, session_factory) -> None:
    _, thief = _signed_in_pair(app, client, session_factory)
    token = csrf_token(client, "/auth/password")
    resp = client.post("/auth/password", data={"current": "correct-horse-1", "new": "another-long-pass",
                                               "confirm": "another-long-pass", "csrf_token": token})
    assert resp.status_code == 302
    _refused(thief)
    assert client.get("/").status_code == 200  # the browser that changed it goes on


def test_copied_cookie_is_refused_after_deactivation(app, client, session_factory) -> None:
    user_id, thief = _signed_in_pair(app, client, session_factory)
    with transaction(session_factory) as s:
        accounts.set_active(s, user_id, False, ADMIN)
    _refused(thief)
    _refused(client)
    assert sign_in(client, "ann").status_code == 401


def test_copied_cookie_is_refused_after_role_change(app, client, session_factory) -> None:
    user_id, thief = _signed_in_pair(app, client, session_factory)
    with transaction(session_factory) as s:
        accounts.change_role(s, user_id, "supervisor", ADMIN)
    _refused(thief)
    _refused(client)
    assert sign_in(client, "ann").status_code == 302 and client.get("/review/").status_code == 200


def _shift_stamp(client: Any, **ago: int) -> None:
    with client.session_transaction() as sess:
        stamp = dict(sess["auth"])
        for key, seconds in ago.items():
            stamp[key] -= seconds
        sess["auth"] = stamp


def test_idle_session_ends(app, client, session_factory) -> None:
    make_user(session_factory, "ann", "agent")
    sign_in(client, "ann")
    idle = app.extensions["container"].settings.web.session_idle_minutes * 60
    _shift_stamp(client, seen=idle - 60)
    assert client.get("/").status_code == 200  # not idle yet, and this request counts as activity
    _shift_stamp(client, seen=idle - 60)
    assert client.get("/").status_code == 200
    _shift_stamp(client, seen=idle + 1)
    _refused(client, "Your session ended after a long time without activity, please sign in again.")


def test_session_ends_at_its_lifetime_however_busy(app, client, session_factory) -> None:
    make_user(session_factory, "ann", "agent")
    sign_in(client, "ann")
    lifetime = app.extensions["container"].settings.web.session_lifetime_hours * 3600
    _shift_stamp(client, started=lifetime - 60)
    assert client.get("/").status_code == 200
    _shift_stamp(client, started=61)
    _refused(client, "Your session has reached its time limit, please sign in again.")


def test_shorter_idle_setting_is_honoured(app, client, session_factory) -> None:
    make_user(session_factory, "ann", "agent")
    sign_in(client, "ann")
    app.extensions["container"].settings.web.session_idle_minutes = 1
    _shift_stamp(client, seen=61)
    assert client.get("/").status_code == 302


def test_a_session_without_a_stamp_is_refused(app, client, session_factory) -> None:
    """A cookie from before sessions were stamped (or hand-made) does not sign anyone in."""
    user_id = make_user(session_factory, "ann", "agent")
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
    _refused(client)


def test_csrf_token_is_rotated_at_sign_in(client, session_factory) -> None:
    make_user(session_factory, "ann", "agent")
    before_form = csrf_token(client)
    with client.session_transaction() as sess:
        before = sess["csrf_token"]
    assert client.post("/auth/login", data={"username": "ann", "password": "correct-horse-1",
                                            "csrf_token": before_form}).status_code == 302
    csrf_token(client, "/")
    with client.session_transaction() as sess:
        after = sess["csrf_token"]
    assert after != before
    # A token captured before sign-in no longer works after it.
    assert client.post("/language", data={"lang": "zh", "csrf_token": before_form}).status_code == 400


def test_last_admin_keeps_the_role(session_factory) -> None:
    admin_id = make_user(session_factory, "ada", "admin")
    with transaction(session_factory) as s:
        for change in (lambda: accounts.change_role(s, admin_id, "agent", ADMIN),
                       lambda: accounts.set_active(s, admin_id, False, ADMIN)):
            try:
                change()
            except accounts.AccountError:
                continue
            raise AssertionError("the last admin was demoted")


def test_seen_is_refreshed_but_not_on_every_request(client, session_factory) -> None:
    make_user(session_factory, "ann", "agent")
    sign_in(client, "ann")
    _shift_stamp(client, seen=120)
    with client.session_transaction() as sess:
        old = sess["auth"]["seen"]
    client.get("/")
    with client.session_transaction() as sess:
        assert sess["auth"]["seen"] >= int(time.time()) - 5 > old


def test_admin_page_changes_role_and_deactivates(app, client, session_factory) -> None:
    """The admin's page calls the same services: the user's copied cookie stops working."""
    make_user(session_factory, "ada", "admin")
    user_id, thief = _signed_in_pair(app, app.test_client(), session_factory)
    assert sign_in(client, "ada").status_code == 302
    token = csrf_token(client, "/admin/users")
    resp = client.post(f"/admin/users/{user_id}/access", data={"role": "qa", "active": "1", "csrf_token": token})
    assert resp.status_code == 303
    _refused(thief)
    resp = client.post(f"/admin/users/{user_id}/access", data={"role": "qa", "active": "0", "csrf_token": token})
    with session_factory() as s:
        from callcenter.models import User

        user = s.get(User, user_id)
        assert user is not None and user.role.value == "qa" and not user.is_active
    assert client.post(f"/admin/users/{user_id}/access", data={"role": "boss", "active": "1",
                                                               "csrf_token": token}).status_code == 400


def test_the_ended_session_is_explained_in_chinese(app, client, session_factory) -> None:
    _, thief = _signed_in_pair(app, client, session_factory)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    resp = thief.get("/", headers=zh)
    assert "您的会话已结束，请重新登录。" in thief.get(resp.headers["Location"], headers=zh).get_data(as_text=True)
