"""An HTML body as plain text a person can read safely: no tags, scripts or styles; links kept.

inscriptis renders the page's layout (paragraphs, lists, tables) as text,
drops ``<script>`` and ``<style>``, and writes each link as ``[text](url)``
so an agent can still see where it pointed.
"""
from __future__ import annotations

from inscriptis import get_text
from inscriptis.model.config import ParserConfig

from .charsets import safe

CONFIG = ParserConfig(display_links=True)


def html_to_text(html: str) -> str:
    """The visible text of ``html``; empty for a page with none (or one lxml cannot read at all)."""
    if not html.strip():
        return ""
    try:
        text: str = get_text(html, CONFIG)
    except Exception:  # noqa: BLE001 - untrusted markup: no text is better than no message
        return ""
    return safe(text).strip()
