"""The daily summary: one day's figures for the centre and each queue, as text and HTML.

The figures come from ``figures`` (same definitions as the reports page), so
the e-mail, the page at /reports/daily and the reports page never disagree.
The row labels live once, in ``web/templates/reports/_daily_labels.html``,
so they are translated (en/zh) by the same catalogue as the web UI, whether
rendered by Flask or here for an e-mail sent by the dispatcher.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_skeleton
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import days
from ..i18n import translations
from ..i18n.durations import duration
from ..models import Queue, Survey, Ticket, TicketChange
from . import figures

WEB = Path(__file__).resolve().parent.parent.parent / "web"
LABELS_TEMPLATE = "reports/_daily_labels.html"
LANGUAGES = ("en", "zh")
# Row order of the table; the labels template names each key.
ROWS = ("calls", "answered", "abandoned", "service_level", "aht", "first_response", "csat",
        "callbacks_kept", "tickets_opened", "tickets_closed", "sla_breaches")


@dataclass
class DailySummary:
    day: dt.date
    timezone: str
    centre: dict[str, Any]
    # (queue name, figures), by queue name.
    queues: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Each queue's Chinese name (its English one, or its code, when it has none), in the same order.
    queue_names_zh: list[str] = field(default_factory=list)


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[str, list[str]]]


def _csat(session: Session, f: figures.ReportFilter) -> tuple[float | None, int]:
    query = f.surveys(select(func.avg(Survey.score), func.count()).select_from(Survey))
    mean, count = session.execute(query).one()
    return (None if mean is None else round(float(mean), 2)), int(count or 0)


def _tickets_closed(session: Session, f: figures.ReportFilter) -> int:
    done_at = func.coalesce(Ticket.resolved_at, Ticket.closed_at)
    query = select(func.count()).select_from(Ticket).where(
        Ticket.status.in_(figures.DONE), done_at >= f.start, done_at < f.end)
    if f.queue_ids:
        query = query.where(Ticket.queue_id.in_(f.queue_ids))
    return int(session.scalar(query) or 0)


def _sla_breaches(session: Session, f: figures.ReportFilter) -> int:
    """Breaches recorded by the dispatcher (one TicketChange "sla_breach" per clock)."""
    query = (select(func.count()).select_from(TicketChange).join(Ticket, Ticket.id == TicketChange.ticket_id)
             .where(TicketChange.field == "sla_breach", TicketChange.created_at >= f.start,
                    TicketChange.created_at < f.end))
    if f.queue_ids:
        query = query.where(Ticket.queue_id.in_(f.queue_ids))
    return int(session.scalar(query) or 0)


def day_figures(session: Session, f: figures.ReportFilter) -> dict[str, Any]:
    calls = figures.call_figures(session, f)
    tickets = figures.ticket_figures(session, f)
    callbacks = figures.callbacks_kept(session, f)
    mean, surveys = _csat(session, f)
    return {
        "calls": calls["calls"], "answered": calls["answered"], "abandoned": calls["abandoned_queue"],
        "service_level": calls["service_level"], "aht": calls["average_handle_seconds"],
        "first_response": tickets["first_response_mean_seconds"], "csat": mean, "surveys": surveys,
        "callbacks_due": callbacks["due"], "callbacks_kept": callbacks["kept"],
        "callbacks_kept_rate": callbacks["kept_rate"], "tickets_opened": tickets["tickets"],
        "tickets_closed": _tickets_closed(session, f), "sla_breaches": _sla_breaches(session, f),
    }


def build(session: Session, day: dt.date, timezone: str = "UTC") -> DailySummary:
    """The figures of one local day, for the whole centre and for every queue."""
    f = figures.day_filter(day, timezone)
    out = DailySummary(day=day, timezone=timezone, centre=day_figures(session, f))
    for queue in session.scalars(select(Queue).order_by(Queue.name)):
        f.queue_ids = [queue.id]
        out.queues.append((queue.display_name or queue.name, day_figures(session, f)))
        out.queue_names_zh.append(queue.display_name_zh or queue.display_name or queue.name)
    return out


def yesterday(now: dt.datetime, timezone: str) -> dt.date:
    return days.local_date(now, timezone) - dt.timedelta(days=1)


# -- presentation ---------------------------------------------------------------------
def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f} %"


def cells(fig: dict[str, Any], gettext: Callable[[str], str] = str) -> dict[str, str]:
    """One column of the table: every figure as the text a reader sees (durations in ``gettext``'s language)."""
    kept = f"{fig['callbacks_kept']}/{fig['callbacks_due']}"
    return {
        "calls": str(fig["calls"]), "answered": str(fig["answered"]), "abandoned": str(fig["abandoned"]),
        "service_level": _pct(fig["service_level"]), "aht": duration(fig["aht"], gettext),
        "first_response": duration(fig["first_response"], gettext),
        "csat": "—" if fig["csat"] is None else f"{fig['csat']:.2f} ({fig['surveys']})",
        "callbacks_kept": kept if not fig["callbacks_due"] else f"{kept} ({_pct(fig['callbacks_kept_rate'])})",
        "tickets_opened": str(fig["tickets_opened"]), "tickets_closed": str(fig["tickets_closed"]),
        "sla_breaches": str(fig["sla_breaches"]),
    }


def table(summary: DailySummary, labels: dict[str, str], language: str = "en") -> Table:
    gettext = translations(language).gettext
    columns = [cells(summary.centre, gettext)] + [cells(fig, gettext) for _, fig in summary.queues]
    names = summary.queue_names_zh if language == "zh" and summary.queue_names_zh else [n for n, _ in summary.queues]
    return Table(header=[labels["centre"], *names],
                 rows=[(labels[key], [col[key] for col in columns]) for key in ROWS])


@lru_cache(maxsize=4)
def mail_env(language: str) -> jinja2.Environment:
    """A Jinja environment over the web templates, translated into ``language``."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True,
                             extensions=["jinja2.ext.i18n"])
    # Added to the environment at run time by the i18n extension; jinja2's types do not know it.
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def labels(language: str) -> dict[str, str]:
    # A template module's attributes are the macros and variables the template defines.
    return dict(mail_env(language).get_template(LABELS_TEMPLATE).module.labels)  # type: ignore[attr-defined]


def _width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = True) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def day_text(day: dt.date, language: str) -> str:
    """The day as the reader's language writes it: "Nov 23, 2026", "2026年11月23日"."""
    return format_skeleton("yMMMd", day, locale=language if language in LANGUAGES else "en", fuzzy=True)


def render_text(summary: DailySummary, language: str) -> str:
    names = labels(language)
    t = table(summary, names, language)
    width = max(_width(label) for label, _ in t.rows) + 2
    widths = [max(_width(h), *(_width(cs[i]) for _, cs in t.rows)) + 2 for i, h in enumerate(t.header)]
    lines = [f"{names['title']} {day_text(summary.day, language)} ({summary.timezone})", ""]
    lines.append(" " * width + "".join(_pad(h, w) for h, w in zip(t.header, widths, strict=True)))
    for label, cs in t.rows:
        lines.append(_pad(label, width, right=False) + "".join(_pad(c, w) for c, w in zip(cs, widths, strict=True)))
    return "\n".join(lines) + "\n"


def render_html(summary: DailySummary, language: str) -> str:
    env = mail_env(language)
    return env.get_template("reports/daily_mail.html").render(
        summary=summary, table=table(summary, labels(language), language), lang=language,
        day=day_text(summary.day, language))


def subject(summary: DailySummary, language: str) -> str:
    return f"{labels(language)['title']} {day_text(summary.day, language)}"
