"""Small helpers for Flask test-client tests: CSRF tokens and signing in."""
from __future__ import annotations

import re
from typing import Any

from callcenter.access import accounts
from callcenter.db import transaction

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: Any, path: str = "/auth/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def make_user(session_factory: Any, username: str, role: str, password: str = "correct-horse-1") -> int:
    with transaction(session_factory) as s:
        user, _ = accounts.create_user(s, username, role, password)
        return user.id


def sign_in(client: Any, username: str, password: str = "correct-horse-1") -> Any:
    return client.post("/auth/login", data={"username": username, "password": password,
                                            "csrf_token": csrf_token(client)})
