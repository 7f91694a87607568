"""Security headers on every response, set in one place.

The CSP allows scripts and styles from our own origin only, so templates
carry no inline <script>, <style>, style="" or on...="" (a JSON data block,
<script type="application/json">, is never executed and stays allowed).
ECharts styles its elements through the CSSOM (element.style), which a CSP
does not block. Once HTTPS is on (``[web] https = true``, or the request
itself came over TLS) cookies are Secure and browsers are told to stay on
HTTPS (HSTS).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # one year; no includeSubDomains: other hosts of the domain are not ours to decide


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure also when the request came over TLS.

    (The session cookie is written after every after_request hook, so the hook cannot add the flag.)
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def csp(connect: list[str]) -> str:
    """The policy, with the extra origins pages may connect to (the softphone's WebSocket to Asterisk)."""
    origins = []
    for url in connect:
        parts = urlsplit(url)
        if parts.scheme in ("ws", "wss") and parts.netloc and all(c not in parts.netloc for c in " ;,'\""):
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return CSP.replace("connect-src 'self'", " ".join(["connect-src 'self'", *origins]))


def init_app(app: Flask, https: bool, connect: list[str] | None = None) -> None:
    """Call before any extension that sets cookies: hooks run last-registered first, this one must be last.

    ``connect``: WebSocket URLs pages may open besides our own origin (the softphone's, to Asterisk)."""
    app.config["HTTPS"] = https
    app.config["CSP"] = csp(connect or [])
    if https:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    app.session_interface = SessionInterface()
    app.after_request(security_headers)


def _over_https() -> bool:
    return bool(current_app.config.get("HTTPS")) or request.is_secure


def security_headers(resp: Response) -> Response:
    for name, value in HEADERS.items():
        resp.headers[name] = value
    resp.headers["Content-Security-Policy"] = current_app.config.get("CSP", CSP)
    if _over_https():
        resp.headers["Strict-Transport-Security"] = HSTS
        _secure_cookies(resp)
    return resp


def _secure_cookies(resp: Response) -> None:
    """Cookies of a request that came over TLS (Flask-Login's remember cookie ...) are Secure, setting or not."""
    cookies = resp.headers.getlist("Set-Cookie")
    if not cookies:
        return
    del resp.headers["Set-Cookie"]
    for cookie in cookies:
        if "secure" not in [part.strip().lower() for part in cookie.split(";")]:
            cookie += "; Secure"
        resp.headers.add("Set-Cookie", cookie)
