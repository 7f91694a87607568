"""Where a sign-in may send the browser next: only a path on this site, rebuilt by us.

Browsers forgive a lot (they drop tabs and newlines, read ``\\`` as ``/``),
so the check is strict: anything that is not a plain same-site path is refused
and the caller falls back to the home page.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from werkzeug.urls import iri_to_uri

MAX_LENGTH = 2048


def _hostile(c: str) -> bool:
    # Tabs, newlines and other invisible characters are stripped or break headers; "\" is "/" to a browser.
    return c == "\\" or c.isspace() or not c.isprintable()


def same_site_path(target: str | None) -> str | None:
    """``target`` as a path on this site (path, query, fragment only), or None if it could lead elsewhere."""
    if not target or len(target) > MAX_LENGTH or any(_hostile(c) for c in target):
        return None
    # urlsplit (and iri_to_uri) read "///x" as the path "/x"; a browser reads it as the host x.
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(iri_to_uri(target))
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    path = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    # Rebuilt, it must still read as a path with no host (urlunsplit could make "//" of an odd input).
    again = urlsplit(path)
    return path if not (again.scheme or again.netloc) and path.startswith("/") and not path.startswith("//") else None
