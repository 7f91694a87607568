"""Security headers on every page: a strict CSP, nosniff, a referrer policy, no framing; HTTPS cookies and HSTS.

Like the access matrix, the walk covers ``app.url_map``: a new GET route is
checked without anyone adding it here (its parameters are filled from the
shop; a parameter nobody knows fails the walk). HTML pages are also checked
for inline script, style and event handlers, which the CSP would block.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.access.audit import Actor
from callcenter.background import jobs as background
from callcenter.config import Settings
from callcenter.db import transaction
from callcenter.models import Team, User

from .deskdata import PASSWORD, add_conversation
from .support import walk
from .webtools import sign_in

INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    re.compile(r"javascript:", re.I),
]


def _values(shop: Any) -> dict[str, Any]:
    return {"call_id": shop.call_id, "number": shop.ticket_number, "recording_id": shop.recording_id,
            "customer_id": shop.customer_id, "agent_id": shop.users["ann"], "user_id": shop.users["ann"],
            "slug": "support", "name": "summary", "filename": "app.css"}


def _directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


def check_headers(resp: Any, where: str) -> None:
    csp = resp.headers.get("Content-Security-Policy", "")
    d = _directives(csp)
    for kind in ("script-src", "style-src"):
        sources = d.get(kind, d.get("default-src"))
        assert sources, (where, f"no {kind} in the CSP", csp)
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, (where, kind, csp)
    assert d.get("frame-ancestors") == ["'none'"], (where, csp)
    assert d.get("object-src") == ["'none'"], (where, csp)
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", where
    assert resp.headers.get("X-Frame-Options") == "DENY", where
    policies = ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    assert resp.headers.get("Referrer-Policy") in policies, where


def test_every_page_sends_the_security_headers(app, shop) -> None:
    client = app.test_client()
    sign_in(client, "ada", PASSWORD)
    adapter = app.url_map.bind("localhost")
    values = _values(shop)
    with transaction(app.extensions["container"].session_factory) as s:  # a job page with a real job
        ada = s.get(User, shop.users["ada"])
        assert ada is not None
        values["job_id"] = background.submit(s, Actor.of(ada), "export_tickets", {}, "export").id
        values["team_id"] = s.scalar(select(Team.id).where(Team.name == "Support team"))
    # A message's file, so its download is walked too.
    values["attachment_id"] = add_conversation(app.extensions["container"], shop.ticket_number)["photo"]
    # A webhook endpoint and a delivery of it (its pages show the signing secret: no-store).
    values["endpoint_id"], values["delivery_id"] = walk.webhook(app.extensions["container"], shop)
    # An automation rule (its editor), whose approval waits in the queue.
    values["rule_id"] = walk.automation_rule(app.extensions["container"], shop)
    # A segment the shop's customer is in, by their tags.
    values["segment_id"] = walk.segment(app.extensions["container"], shop)
    # A reply macro, so its admin page and the reply form's fill-in are walked too.
    values["template_id"] = walk.reply_macro(app.extensions["container"])
    # An article and an auto-reply waiting for the customer, so the knowledge pages and the answer link are walked.
    values["article_id"] = walk.knowledge_article(app.extensions["container"])
    values["token"] = walk.auto_reply(app.extensions["container"], shop, values["article_id"])
    values["answer"] = "yes"
    walked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()):
            continue
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: give the walk a value for {unknown}"
        url = adapter.build(rule.endpoint, {a: values[a] for a in rule.arguments})
        resp = client.get(url)
        try:
            assert resp.status_code < 500, (url, resp.status_code)
            check_headers(resp, url)
            if resp.mimetype == "text/html" and not resp.is_streamed:
                html = resp.get_data(as_text=True)
                for pattern in INLINE:
                    found = pattern.search(html)
                    assert found is None, (url, "inline code the CSP blocks", html[found.start():found.end() + 60])
        finally:
            resp.close()  # streams (desk, wallboard) are not read to their end
        walked += 1
    assert walked > 30


def test_signed_out_pages_and_errors_carry_them_too(client) -> None:
    for url in ("/auth/login", "/healthz", "/nope", "/api/v1/tickets"):
        check_headers(client.get(url), url)


def test_plain_http_sends_no_hsts_and_no_secure_cookie(client, shop) -> None:
    resp = sign_in(client, "ada", PASSWORD)
    assert "Secure" not in resp.headers.get("Set-Cookie", "")
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_a_secure_request_gets_hsts_and_secure_cookies(client, shop) -> None:
    resp = client.get("/auth/login", base_url="https://localhost")  # the CSRF token goes into the session
    cookies = resp.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies), cookies
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.fixture
def https_settings(settings: Settings) -> Settings:
    settings.web.https = True  # as an operator sets it in [web]
    return settings


def test_https_setting_secures_cookies_and_sends_hsts(https_settings, app, shop) -> None:
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    client = app.test_client()
    resp = sign_in(client, "ada", PASSWORD)  # plain HTTP to the app: TLS ends at the proxy
    cookies = resp.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies), cookies
    page = client.get("/")
    assert int(page.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 15552000
    check_headers(page, "/")
