"""Display names for stored codes (translatable; the database keeps the code).

Fixed sets (status, priority, disposition, VIP tier ...) are tables of lazy
messages; the centre's own sets (categories, queues, wrap-up codes) carry
their English and Chinese names in the database and are read once per
request.  An unknown code is shown as it is: a raw code on a page is a bug
the zh page walk reports, never hidden behind a made-up word.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import g, has_app_context
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from callcenter.forms import catalog
from callcenter.forms.schema import Choice, FieldSpec
from callcenter.knowledge import calibrating
from callcenter.models import Queue, Skill, WrapupCode
from callcenter.problems import solving
from callcenter.qa import rules
from callcenter.tickets import export

from . import audit_labels as audit

ROLES = {"agent": _l("Agent"), "supervisor": _l("Supervisor"), "qa": _l("QA reviewer"), "admin": _l("Administrator")}
STATUSES = {"new": _l("New"), "open": _l("Open"), "pending": _l("Waiting on customer"),
            "resolved": _l("Resolved"), "closed": _l("Closed")}
PRIORITIES = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
TIMELINE = {"ring": _l("Call came in"), "queue": _l("Queued"), "answer": _l("Answered"),
            "transfer": _l("Transferred"), "hangup": _l("Hung up")}
DISPOSITIONS = {"answered": _l("Answered"), "abandoned_queue": _l("Abandoned in queue"),
                "abandoned_ivr": _l("Abandoned in IVR"), "callback_requested": _l("Callback requested"),
                "voicemail": _l("Voicemail"), "no_answer": _l("No answer"), "busy": _l("Busy"),
                "failed": _l("Failed")}
VIP_TIERS = {"none": _l("Not VIP"), "silver": _l("Silver"), "gold": _l("Gold"), "platinum": _l("Platinum")}
# Each language in its own words, whatever the page's language (how a language picker names them).
LANGUAGES = {"en": "English", "zh": "简体中文"}
PRESENCE = {"signed_out": _l("Signed out of queues"), "available": _l("Available"), "on_call": _l("On a call"),
            "wrap_up": _l("Wrap-up"), "paused": _l("Paused")}
# What Asterisk says of an agent's phone (the wallboard's live column).
PHONE_STATES = {"available": _l("Available"), "ringing": _l("Ringing"), "on_call": _l("On a call"),
                "paused": _l("Paused"), "wrapup": _l("Wrap-up"), "wrap_up": _l("Wrap-up"),
                "unavailable": _l("Unavailable"), "unknown": _l("Unknown")}
CALLBACK_STATUSES = {"pending": _l("Waiting"), "dialing": _l("Dialling"), "reached": _l("Reached"),
                     "no_answer": _l("No answer"), "busy": _l("Busy"), "failed": _l("Failed"),
                     "cancelled": _l("Cancelled")}
CALLBACK_SOURCES = {"ivr": _l("Asked for in the IVR"), "agent": _l("Promised by an agent"),
                    "abandoned": _l("Caller gave up in the queue"), "api": _l("Requested through the API")}
SURVEY_STATUSES = {"pending": _l("Waiting"), "dialing": _l("Dialling"), "completed": _l("Completed"),
                   "declined": _l("Declined"), "no_answer": _l("No answer"), "failed": _l("Failed")}
JOB_STATUSES = {"queued": _l("Waiting"), "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}
TRANSCRIPT_STATUSES = {"queued": _l("Waiting"), "running": _l("Transcribing"), "done": _l("Done"),
                       "failed": _l("Failed")}
PARTIES = {"mixed": _l("Both parties"), "caller": _l("Caller"), "agent": _l("Agent")}
MARKS = {"pass": _l("Pass"), "fail": _l("Fail"), "na": _l("n/a")}
# What the transcriber removed from a transcript and its QA audio.
REDACTIONS = {"card": _l("a card number"), "muted": _l("a paused span")}
# Background jobs by kind (the stored label is the requester's language at the time).
JOB_KINDS = {export.KIND: _l("Ticket export (CSV)"), rules.REAPPLY: _l("Re-apply the keyword rules"),
             calibrating.KIND: _l("Calibrate the suggestions"), solving.KIND: _l("Tell a problem's incidents")}
# The ticket history's fields, and what the dispatcher records there (SLA clocks, escalation steps, routes).
HISTORY_FIELDS = {"status": _l("Status"), "priority": _l("Priority"), "category": _l("Category"),
                  "subject": _l("Subject"), "queue_id": _l("Queue"), "team_id": _l("Team"),
                  "customer_id": _l("Customer"), "first_response_due_at": _l("First response due"),
                  "resolution_due_at": _l("Resolution due"), "needed_skill_id": _l("Skill needed"),
                  "language": _l("Language"), "assignee_id": _l("Assigned to"), "call": _l("Call"),
                  "tags": _l("Tags"), "sla_warning": _l("SLA warning"), "sla_breach": _l("SLA breached"),
                  "escalation": _l("Escalation"), "problem": _l("Problem ticket"), "is_problem": _l("Kind")}
# What a ticket is besides an ordinary one (the history's "Kind").
TICKET_KINDS = {"problem": _l("Problem ticket")}
SLA_CLOCKS = {"first_response": _l("first response"), "resolution": _l("resolution")}
ESCALATION_STEPS = {"notify": _l("notify the assignee and supervisor"), "raise_priority": _l("raise the priority"),
                    "reassign": _l("reassign"), "supervisor": _l("give to the supervisor")}
ROUTES = {"matched": _l("best match"), "fallback_team": _l("fallback team"), "supervisor": _l("supervisor"),
          "unassigned": _l("nobody free"), "manual": _l("by hand"), "escalation": _l("escalation")}
CALL_OUTCOMES = {"reached": _l("reached"), "no_answer": _l("no answer"), "busy": _l("busy"),
                 "failed": _l("failed"), "unknown": _l("outcome unknown")}
IVR_PATHS = {"queue": _l("Queue"), "ticket_status": _l("Ticket status"), "callback": _l("Callback"),
             "hangup": _l("Hung up"), "knowledge": _l("Self-service answer"),
             "knowledge_code": _l("Self-service answer by article number")}
# What a self-service caller did after hearing the answer (Call.ivr["self_service"], knowledge/ivr.py).
SELF_SERVICE = {"solved": _l("solved, hung up"), "agent": _l("asked for an agent"), "sms": _l("sent by SMS"),
                "no_choice": _l("no choice made: to an agent"), "hung_up": _l("hung up"),
                "no_article": _l("no answer to give: to an agent"),
                "unspoken": _l("the answer could not be spoken: to an agent")}
# The IVR's choices (Call.ivr), in the order a person reads them.
IVR_KEYS = {"path": _l("Menu"), "keys": _l("Keys pressed"), "category": _l("Category"), "queue": _l("Queue"),
            "skill": _l("Skill"), "language": _l("Language"), "lang": _l("Language"), "vip": _l("VIP"),
            "customer_id": _l("Customer"), "callback_number": _l("Callback number"),
            "survey_optin": _l("Survey"), "timed_out": _l("No choice made"), "ticket_number": _l("Ticket"),
            "fail_reason": _l("IVR problem"), "skipped": _l("IVR skipped"), "article": _l("Article heard"),
            "self_service": _l("Self-service")}
# Kinds of number the dialling policy may refuse (libphonenumber's types, as the policy writes them).
NUMBER_TYPES = {"fixed line": _l("fixed-line"), "mobile": _l("mobile"), "fixed line or mobile": _l("fixed or mobile"),
                "toll free": _l("toll-free"), "premium rate": _l("premium-rate"), "shared cost": _l("shared-cost"),
                "voip": _l("internet (VoIP)"), "personal number": _l("personal"), "pager": _l("pager"),
                "uan": _l("universal access"), "voicemail": _l("voicemail"), "unknown": _l("unknown")}
# A ticket's conversation: the channel a message came by, which way it went, and where a reply stands.
CHANNELS = {"phone": _l("Phone"), "email": _l("E-mail"), "web": _l("Web form"), "wechat": _l("WeChat"),
            "sms": _l("SMS")}
MESSAGE_DIRECTIONS = {"inbound": _l("Received"), "outbound": _l("Reply")}
DELIVERY_STATES = {"queued": _l("Waiting to be sent"), "sent": _l("Sent"), "failed": _l("Not sent")}
YES_NO = {True: _l("yes"), False: _l("no")}
QUIET_WHEN_NO = ("timed_out", "skipped")  # said only when true
TABLES: dict[str, dict[Any, Any]] = {
    "role": ROLES, "status": STATUSES, "priority": PRIORITIES, "timeline": TIMELINE, "disposition": DISPOSITIONS,
    "vip": VIP_TIERS, "presence": PRESENCE, "phone_state": PHONE_STATES, "callback_status": CALLBACK_STATUSES,
    "callback_source": CALLBACK_SOURCES, "survey_status": SURVEY_STATUSES, "job_status": JOB_STATUSES,
    "job_kind": JOB_KINDS, "transcript_status": TRANSCRIPT_STATUSES, "party": PARTIES, "mark": MARKS,
    "audit_action": audit.ACTIONS, "audit_outcome": audit.OUTCOMES, "object_type": audit.OBJECT_TYPES,
    "history_field": HISTORY_FIELDS, "sla_clock": SLA_CLOCKS, "escalation_step": ESCALATION_STEPS,
    "route": ROUTES, "call_outcome": CALL_OUTCOMES, "ivr_path": IVR_PATHS, "number_type": NUMBER_TYPES,
    "run_outcome": audit.RUN_OUTCOMES, "redaction": REDACTIONS, "channel": CHANNELS,
    "message_direction": MESSAGE_DIRECTIONS, "delivery": DELIVERY_STATES, "self_service": SELF_SERVICE,
}


def _zh() -> bool:
    return str(get_locale()) == "zh"


def code(kind: str, value: Any) -> str:
    """The reader's word for a stored code of a fixed set (``kind`` names the set); "—" for none."""
    if value is None or value == "":
        return "—"
    value = getattr(value, "value", value)
    if kind == "language":
        return LANGUAGES.get(str(value), str(value))
    if kind in NAMED:
        return NAMED[kind](str(value))
    found = TABLES.get(kind, {}).get(value)
    return str(found) if found is not None else str(value)


# -- the centre's own codes, named in the database ---------------------------------------------------
@dataclass
class Names:
    """English and Chinese names of this centre's categories, queues and wrap-up codes."""

    categories: dict[str, tuple[str, str]] = field(default_factory=dict)
    queues: dict[str, tuple[str, str]] = field(default_factory=dict)
    queue_ids: dict[int, str] = field(default_factory=dict)
    wrapup: dict[str, tuple[str, str]] = field(default_factory=dict)
    skills: dict[str, tuple[str, str]] = field(default_factory=dict)


def load_names(session: Any) -> Names:
    names = Names()
    for q in session.scalars(select(Queue)):
        names.queues[q.name] = (q.display_name or q.name, q.display_name_zh or q.display_name or q.name)
        names.queue_ids[q.id] = q.name
    for form in catalog.active_forms(session):
        spec = catalog.spec_of(form)
        names.categories.setdefault(spec.category, (spec.title, spec.title_zh or spec.title))
        for c in spec.wrapup_codes:
            names.wrapup.setdefault(c.value, (c.label, c.label_zh or c.label))
    for w in session.scalars(select(WrapupCode)):
        names.wrapup[w.code] = (w.label, w.label_zh or w.label)
    for skill in session.scalars(select(Skill)):
        names.skills[skill.name] = (skill.name, skill.name_zh or skill.name)
    return names


def _names() -> Names:
    """Read once per request (pages name many codes), from this request's session."""
    if not has_app_context():
        return Names()
    if "code_names" not in g:
        from .db import get_db

        g.code_names = load_names(get_db())
    found: Names = g.code_names
    return found


def _pick(pair: tuple[str, str] | None, fallback: str) -> str:
    if pair is None:
        return fallback
    return pair[1] if _zh() else pair[0]


def humanised(value: str) -> str:
    return value.replace("_", " ").strip().capitalize()


# The web form's shipped topics (``[channels.webform] categories``), named in both languages wherever a
# ticket's category shows; a centre's own codes are named like every other category.
TOPICS = {"general": _l("General question"), "billing": _l("Billing and payments"),
          "technical": _l("Technical problem"), "complaint": _l("Complaint")}


def category(value: str | None, names: Names | None = None) -> str:
    """A ticket's or a call's category: its intake form's title, else its queue's name, else a web-form topic's
    name, else the code, readable.
    (``names``: read elsewhere, for a page that has no request session, such as the desk's stream.)"""
    if not value:
        return "—"
    names = _names() if names is None else names
    found = names.categories.get(value) or names.queues.get(value)
    if found is None and value in TOPICS:
        return str(TOPICS[value])
    return _pick(found, humanised(value))


def queue(value: str | int | None, names: Names | None = None) -> str:
    """A queue by name or id, in the reader's language (its code when it has no display name)."""
    if value is None or value == "":
        return "—"
    names = _names() if names is None else names
    name = names.queue_ids.get(value, str(value)) if isinstance(value, int) else value
    return _pick(names.queues.get(name), name)


def wrapup(value: str | None) -> str:
    if not value:
        return "—"
    return _pick(_names().wrapup.get(value), humanised(value))


def skill(value: str | None) -> str:
    return _pick(_names().skills.get(value or ""), value or "—")


# Codes the centre names itself (read from the database).
NAMED = {"category": category, "queue": queue, "wrapup": wrapup, "skill": skill}


def ivr_lines(ivr: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A call's IVR choices as (what, value) lines a person reads: "Menu: Queue", "Keys pressed: 1 › 2"."""
    ivr = ivr or {}
    keys = [k for k in IVR_KEYS if k in ivr] + [k for k in ivr if k not in IVR_KEYS]
    return [(str(IVR_KEYS.get(k, k)), _ivr_value(k, ivr[k])) for k in keys
            if ivr[k] not in (None, "", []) and not (k in QUIET_WHEN_NO and not _yes(ivr[k]))]


def _yes(value: Any) -> bool:
    return value in (True, "1", 1, "true", "yes")


def _ivr_value(key: str, value: Any) -> str:
    if key == "keys":
        return " › ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if key in ("survey_optin", *QUIET_WHEN_NO):
        return str(YES_NO[_yes(value)])
    if key == "path":
        return code("ivr_path", value)
    if key == "category":
        return category(str(value))
    if key == "queue":
        return queue(str(value))
    if key in ("language", "lang"):
        return code("language", value)
    if key == "vip":
        return code("vip", value)
    if key == "self_service":
        return code("self_service", value)
    if isinstance(value, list):
        return " › ".join(str(v) for v in value)
    return str(value)


# -- intake answers ----------------------------------------------------------------------------------
def choice(choices: list[Choice], value: str) -> str:
    for c in choices:
        if c.value == value:
            return c.label_zh if _zh() and c.label_zh else c.label
    return value


def answer(field_spec: FieldSpec, value: Any) -> str:
    """A stored form answer as the reader should see it (labels, not codes)."""
    from callcenter.calls.numbers import display

    if field_spec.type in ("choice", "multichoice"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(choice(field_spec.choices, v) for v in values)
    if field_spec.type == "phone":
        return display(value)
    if field_spec.type == "checkbox":
        return "✓" if value else "—"
    return str(value)


# -- desk lifecycle: a pop in the agent's language -----------------------------------------------------
def vip_badge(tier: str | None) -> str:
    """The pop's VIP badge ("Gold VIP"); "" for a customer who is not one."""
    if not tier or tier == "none":
        return ""
    return str(gettext("%(tier)s VIP", tier=code("vip", tier)))
