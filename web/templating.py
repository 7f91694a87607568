"""What every template may use: translated labels for stored codes, local times, phone numbers."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import Flask, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup

from callcenter.calls.numbers import display
from callcenter.i18n import durations

from . import audit_labels, labels


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
            "disposition_label": lambda d: labels.code("disposition", d),
            # Any other stored code: label('vip', customer.vip_tier), category_label(ticket.category) ...
            "label": labels.code,
            "actor_label": audit_labels.actor,
            "category_label": labels.category,
            "queue_label": labels.queue,
            "wrapup_label": labels.wrapup,
            "ivr_lines": labels.ivr_lines,
            "answer": labels.answer,
            "answer_choice": labels.choice,
            # A fresh idempotency key for each click-to-call button rendered.
            "click_key": lambda: secrets.token_hex(12),
        }

    # A global, not a context value: macros imported without context (the pager) see it too.
    app.add_template_global(page_url, "page_url")
    app.add_template_global(ident, "ident")

    @app.template_filter("localtime")
    def _localtime(value: dt.datetime | None) -> str:
        return localtime(value, zone)

    @app.template_filter("localdate")
    def _localdate(value: dt.date | dt.datetime | None) -> str:
        return localdate(value, zone)

    @app.template_filter("localiso")
    def _localiso(value: str | None) -> str:
        return localiso(value, zone)

    @app.template_filter("duration")
    def _duration(seconds: float | None) -> str:
        return duration(seconds)

    @app.template_filter("phone")
    def _phone(value: str | None) -> str:
        return "—" if not value else display(value)


def ident(text: str) -> Markup:
    """A file, command or channel name inside a sentence (``_('… %(file)s …', file=ident('queues.conf'))``):
    shown as code and marked as not for translation, in every language."""
    return Markup('<code translate="no">{}</code>').format(text)


def page_url(endpoint: str, args: Any, page: int, params: dict[str, Any] | None = None) -> str:
    """The link to ``page`` of a list: its query string kept (every value of a repeated key), its page replaced."""
    query = args.to_dict(flat=False) if hasattr(args, "to_dict") else {k: [v] for k, v in dict(args).items()}
    # url_for takes _method, _anchor, _external ... for itself: a query string never chooses them.
    query = {k: v for k, v in query.items() if k != "page" and not k.startswith("_")}
    return url_for(endpoint, **{**query, **(params or {}), "page": page})


def zone(app: Flask) -> ZoneInfo:
    """The centre's time zone (every time a person reads is shown in it)."""
    return ZoneInfo(app.extensions["container"].settings.timezone)


def localiso(value: str | None, zone: ZoneInfo) -> str:
    """A stored ISO 8601 moment (a history value) as ``localtime`` shows it; other text as it is."""
    if not value:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return localtime(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC), zone)


def _locale() -> str:
    return str(get_locale() or "en")


def localtime(value: dt.datetime | None, zone: ZoneInfo) -> str:
    """A moment in the centre's time zone, as the reader's language writes it (24-hour clock):
    "Dec 6, 2026 15:32" or "2026年12月6日 15:32"."""
    if value is None:
        return "—"
    local = value.astimezone(zone)
    locale = _locale()
    return f"{format_skeleton('yMMMd', local, locale=locale, fuzzy=True)} {local.strftime('%H:%M')}"


def localdate(value: dt.date | dt.datetime | None, zone: ZoneInfo) -> str:
    """A day, as the reader's language writes it: "Dec 6, 2026" or "2026年12月6日"."""
    if value is None:
        return "—"
    day = value.astimezone(zone).date() if isinstance(value, dt.datetime) else value
    return format_skeleton("yMMMd", day, locale=_locale(), fuzzy=True)


def duration(seconds: float | None) -> str:
    """A length of time that reads as one, never as a time of day: "45 s", "22 min", "1 h 05 min"."""
    return durations.duration(seconds, gettext)
