"""Finding 2: after sign-in, ``next`` never leads off-site and never breaks the response."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from callcenter.access.redirects import same_site_path

from .webtools import csrf_token, make_user

# Raw query strings, exactly as an attacker would put them in a link.
HOSTILE = [
    "//evil.com", "/\\evil.com", "/%09/evil.com", "/%0a/x", "/%0d%0aSet-Cookie:x=1", "https://evil.com",
    "\\\\evil.com", "/%2F%2Fevil.com", "%20/x", "/%5Cevil.com", "http:/evil.com", "javascript:alert(1)",
    "///evil.com", "/%00/evil.com", "%2F%09%2Fevil.com", "/%E3%80%80/evil.com", "//%09evil.com", "",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_next_lands_on_the_home_page(client, session_factory, raw: str) -> None:
    make_user(session_factory, "max", "agent")
    token = csrf_token(client)
    resp = client.post(f"/auth/login?next={raw}", data={
        "username": "max", "password": "correct-horse-1", "csrf_token": token})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location == "/", (raw, location)
    assert not urlsplit(location).netloc


def test_a_plain_path_with_a_query_is_kept(client, session_factory) -> None:
    make_user(session_factory, "max", "agent")
    token = csrf_token(client)
    resp = client.post("/auth/login?next=" + quote("/tickets/?q=a%20b&page=2", safe=""), data={
        "username": "max", "password": "correct-horse-1", "csrf_token": token})
    assert resp.headers["Location"] == "/tickets/?q=a%20b&page=2"


@pytest.mark.parametrize("target", ["/\t/evil.com", "/\n/x", " /x", "\\\\evil.com", "/\u2028/x", "//evil.com",
                                    "https://evil.com", None, "/x\x7f"])
def test_same_site_path_refuses(target: str | None) -> None:
    assert same_site_path(target) is None


def test_same_site_path_encodes_what_it_keeps() -> None:
    assert same_site_path("/tickets/?q=王") == "/tickets/?q=%E7%8E%8B"
