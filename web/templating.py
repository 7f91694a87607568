"""What every template may use: translated labels for stored codes, local times, phone numbers."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import get_locale

from callcenter.calls.numbers import display

from . import labels


def init_app(app: Flask, timezone: str) -> None:
    zone = ZoneInfo(timezone)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {
            "get_locale": get_locale,
            "role_label": lambda r: labels.ROLES.get(r, r),
            "status_label": lambda s: labels.STATUSES.get(s, s),
            "priority_label": lambda p: labels.PRIORITIES.get(p, p),
            "timeline_label": lambda t: labels.TIMELINE.get(t, t),
            "disposition_label": lambda d: labels.DISPOSITIONS.get(d, d or "—"),
            "answer": labels.answer,
            "answer_choice": labels.choice,
            "change_value": labels.change_value,
            # A fresh idempotency key for each click-to-call button rendered.
            "click_key": lambda: secrets.token_hex(12),
        }

    @app.template_filter("localtime")
    def _localtime(value: dt.datetime | None) -> str:
        return "—" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("phone")
    def _phone(value: str | None) -> str:
        return "—" if not value else display(value)
