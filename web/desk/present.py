"""A pop as its agent reads it: codes as labels, times in the centre's time zone, in the agent's language.

A pop is stored and pushed as data (codes, ISO times); each desk stream and
the pop list say it here in their reader's language, so one stored pop
serves an English tab and a Chinese one.  The centre's own names (form
titles, queue names) come from ``names``, which the hub keeps (a stream has
no database session of its own).  The desk's script only places the lines.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _

from callcenter.calls.numbers import display

from .. import labels
from ..templating import duration, localtime

# IVR answers that only say yes.
YES = {True, "1", "true", "yes"}


def present(pop: dict[str, Any], names: labels.Names) -> dict[str, Any]:
    """``pop`` with ``view``: the lines the desk shows."""
    customer = pop.get("customer") or {}
    meta = [labels.queue(pop["queue"], names)] if pop.get("queue") else []
    if pop.get("wait_seconds") is not None:
        meta.append(_("waited %(time)s", time=duration(pop["wait_seconds"])))
    view = {
        "vip": labels.vip_badge(customer.get("vip_tier")),
        "meta": " · ".join(meta),
        "ivr": menu_lines(pop.get("ivr") or {}, names),
        "tickets": [f"{t['number']} · {t['subject']} ({labels.code('status', t['status'])})"
                    for t in pop.get("open_tickets") or []],
        "history": [_history_line(h, names) for h in pop.get("history") or []],
        "history_links": [_history_link(h) for h in pop.get("history") or []],
    }
    return {**pop, "view": view}


def menu_lines(ivr: dict[str, Any], names: labels.Names) -> list[str]:
    """What the caller chose in the IVR, as the pop says it ("Menu: 1 · Technical support", "Language:
    English"); the IVR's bookkeeping (queue, skill, customer id) is not shown."""
    lines = []
    # The keys pressed, the valid one last (the IVR stores them as "keys"; older calls as "path").
    pressed = ivr.get("keys") if isinstance(ivr.get("keys"), list) else ivr.get("path")
    keys = str(pressed[-1]) if isinstance(pressed, list) and pressed else ""
    choice = labels.category(str(ivr["category"]), names) if ivr.get("category") else ""
    if keys and choice:
        lines.append(_("Menu: %(keys)s · %(choice)s", keys=keys, choice=choice))
    elif keys or choice:
        lines.append(_("Menu: %(choice)s", choice=keys or choice))
    language = ivr.get("language") or ivr.get("lang")
    if language:
        lines.append(_("Language: %(name)s", name=labels.code("language", str(language))))
    if ivr.get("callback_number"):
        lines.append(_("Call-back number: %(number)s", number=display(str(ivr["callback_number"]))))
    if ivr.get("ticket_number"):
        lines.append(_("Asked about ticket %(number)s", number=ivr["ticket_number"]))
    if ivr.get("article"):
        lines.append(_("Heard article %(code)s in the IVR", code=ivr["article"]))
    heard = ivr.get("incident")
    if isinstance(heard, dict) and heard.get("id"):
        lines.append(_("Heard the incident message; asked to be told when it is fixed") if heard.get("subscribed")
                     else _("Heard the incident message"))
    if ivr.get("survey_optin") in YES:
        lines.append(_("Agreed to a survey after the call"))
    if ivr.get("skipped") in YES:
        lines.append(_("Came straight through (direct number)"))
    if ivr.get("fail_reason"):
        lines.append(_("The menu could not finish; the call came to the default queue"))
    return lines


def _history_line(contact: dict[str, Any], names: labels.Names) -> str:
    """One contact of the customer's: channel, when, then the call's queue and outcome or the message's way."""
    zone = ZoneInfo(current_app.extensions["container"].settings.timezone)
    at = localtime(dt.datetime.fromisoformat(contact["at"]), zone) if contact.get("at") else "—"
    parts = [labels.code("channel", contact.get("channel") or "phone"), at]
    if contact.get("kind", "call") == "call":
        parts += [labels.queue(contact["queue"], names) if contact.get("queue") else "",
                  labels.code("disposition", contact.get("disposition"))]
    else:
        parts += [labels.code("message_direction", contact.get("direction")), contact.get("subject") or ""]
    if contact.get("ticket"):
        parts.append(_("Ticket %(n)s", n=contact["ticket"]))
    return " · ".join(p for p in parts if p)


def _history_link(contact: dict[str, Any]) -> str:
    """Where the contact opens: its ticket, else the call's own page when this agent may open it."""
    if contact.get("ticket"):
        return url_for("tickets.detail", number=contact["ticket"])
    if contact.get("call_id") and contact.get("openable"):
        return url_for("qa.workspace", call_id=contact["call_id"])
    return ""
