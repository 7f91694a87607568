"""Every role against every route of the app, own and others' records: only allowed cells succeed.

The matrix has one row per (method, route) of ``app.url_map`` (several where
the record's owner matters), so a new route without a row fails
``test_every_route_has_a_row``; each row's URL must really be served by its
route.  Every refusal must leave an audit row (outcome "denied").
"""
from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.models import AuditLog

from .deskdata import PASSWORD
from .webtools import csrf_token, sign_in

ROLES = ("ann", "bob", "sue", "sam", "quinn", "ada")  # agent, agent, supervisor, supervisor, qa, admin
EVERYONE = frozenset(ROLES)
DESK = frozenset({"ann", "bob", "sue", "sam", "ada"})
MANAGERS = frozenset({"sue", "sam", "ada"})
REVIEWERS = frozenset({"sue", "sam", "quinn", "ada"})
QA_EDITORS = frozenset({"quinn", "ada"})
ADMINS = frozenset({"ada"})
PUBLIC = frozenset({"*"})  # anyone, signed in or not
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Row:
    method: str
    rule: str  # the route as Flask knows it
    url: str  # a concrete URL it serves: {t1}/{t2} tickets, {c1}/{c2} calls, {r1}/{r2} recordings ...
    allowed: Set[str]
    ok: int  # the status an allowed user gets
    body: dict[str, Any] = field(default_factory=dict)


# Record 1 belongs to ann (sue's team); record 2 to bob (no team).
PAGES = [
    Row("GET", "/", "/", EVERYONE, 200),
    Row("GET", "/healthz", "/healthz", PUBLIC, 200),
    Row("GET", "/static/<path:filename>", "/static/app.css", PUBLIC, 200),
    Row("GET", "/auth/login", "/auth/login", PUBLIC, 302),  # signed in: on to the start page
    Row("POST", "/auth/login", "/auth/login", PUBLIC, 302),
    Row("GET", "/auth/password", "/auth/password", EVERYONE, 200),
    Row("POST", "/auth/password", "/auth/password", EVERYONE, 200),  # incomplete form: shown again
    Row("POST", "/language", "/language", PUBLIC, 302),
    Row("GET", "/desk/", "/desk/", DESK, 200),
    Row("GET", "/desk/events", "/desk/events", DESK, 200),
    # Only ever the caller's own softphone; nobody in the shop has an extension: a clear 404 for the desk roles.
    Row("GET", "/desk/phone", "/desk/phone", DESK, 404),
    Row("GET", "/desk/calls/<int:call_id>/form", "/desk/calls/{c1}/form", {"ann", "sue", "ada"}, 200),
    Row("GET", "/desk/calls/<int:call_id>/form", "/desk/calls/{c2}/form", {"bob", "ada"}, 200),
    Row("GET", "/desk/calls/<int:call_id>/crm", "/desk/calls/{c1}/crm", {"ann", "sue", "ada"}, 200),
    Row("GET", "/desk/calls/<int:call_id>/crm", "/desk/calls/{c2}/crm", {"bob", "ada"}, 200),
    Row("POST", "/desk/calls/<int:call_id>/draft", "/desk/calls/{c1}/draft", {"ann", "sue", "ada"}, 200),
    Row("GET", "/desk/calls/<int:call_id>/similar", "/desk/calls/{c1}/similar", {"ann", "sue", "ada"}, 200),
    Row("POST", "/desk/calls/<int:call_id>/submit", "/desk/calls/{c1}/submit", {"ann", "sue", "ada"}, 422),
    Row("POST", "/desk/calls/<int:call_id>/customer", "/desk/calls/{c2}/customer", {"bob", "ada"}, 422),
    # The state bar: the matrix's form posts are incomplete (no phone, no reason, nobody signed in): 422.
    Row("GET", "/desk/state", "/desk/state", DESK, 200),
    Row("POST", "/desk/state/sign-in", "/desk/state/sign-in", DESK, 422),
    Row("POST", "/desk/state/sign-out", "/desk/state/sign-out", DESK, 422),
    Row("POST", "/desk/state/available", "/desk/state/available", DESK, 422),
    Row("POST", "/desk/state/pause", "/desk/state/pause", DESK, 422),
    Row("POST", "/desk/state/ready", "/desk/state/ready", DESK, 422),
    # Click-to-call: a form post carries no key, so an allowed user gets the "reload" error.
    Row("POST", "/desk/dial", "/desk/dial", DESK, 400),
    # Transfers: a form post names no target (400); the matrix has no PBX to act on (503).
    Row("POST", "/desk/transfer", "/desk/transfer", DESK, 400),
    Row("POST", "/desk/transfer/complete", "/desk/transfer/complete", DESK, 503),
    Row("POST", "/desk/transfer/cancel", "/desk/transfer/cancel", DESK, 503),
    Row("GET", "/tickets/", "/tickets/", EVERYONE, 200),
    Row("GET", "/tickets/<number>", "/tickets/{t1}", {"ann", "sue", "quinn", "ada"}, 200),
    Row("GET", "/tickets/<number>", "/tickets/{t2}", {"bob", "quinn", "ada"}, 200),
    Row("POST", "/tickets/<number>/notes", "/tickets/{t1}/notes", {"ann", "sue", "ada"}, 303),
    Row("POST", "/tickets/<number>/update", "/tickets/{t2}/update", {"bob", "ada"}, 303),
    # Problems: whoever may change the ticket links it; the matrix names no other ticket, a clear 404 then.
    Row("POST", "/tickets/<number>/link", "/tickets/{t1}/link", {"ann", "sue", "ada"}, 404),
    Row("POST", "/tickets/<number>/incidents", "/tickets/{t1}/incidents", {"ann", "sue", "ada"}, 404),
    Row("POST", "/tickets/<number>/unlink", "/tickets/{t1}/unlink", {"ann", "sue", "ada"}, 303),
    Row("POST", "/tickets/<number>/solve", "/tickets/{t1}/solve", {"ann", "sue", "ada"}, 303),  # not a problem
    Row("POST", "/tickets/<number>/merge", "/tickets/{t1}/merge", {"ann", "sue", "ada"}, 303),  # no number given
    Row("POST", "/tickets/bulk", "/tickets/bulk", DESK, 303),  # no action chosen: back to the list
    # Incident mode: supervisors and admins who may change the ticket (no message given: said, back to it).
    Row("POST", "/tickets/<number>/incident", "/tickets/{t1}/incident", {"sue", "ada"}, 303),
    Row("POST", "/tickets/<number>/incident/end", "/tickets/{t1}/incident/end", {"sue", "ada"}, 303),
    Row("POST", "/tickets/incidents/<int:incident_id>/dismiss", "/tickets/incidents/999/dismiss", MANAGERS, 404),
    # Recurring issues: supervisors and admins (nothing asked to link: said, back to the groups).
    Row("GET", "/problems/recurring", "/problems/recurring", MANAGERS, 200),
    Row("POST", "/problems/recurring/problem", "/problems/recurring/problem", MANAGERS, 303),
    Row("POST", "/tickets/<number>/merges/<int:merge_id>/undo", "/tickets/{t1}/merges/999/undo",
        {"ann", "sue", "ada"}, 404),
    # A message's file, by id, to whoever may see its ticket (the shop has none: 404 after the ticket check).
    Row("GET", "/tickets/<number>/attachments/<int:attachment_id>", "/tickets/{t1}/attachments/999",
        {"ann", "sue", "quinn", "ada"}, 404),
    Row("POST", "/tickets/export", "/tickets/export", MANAGERS, 200),  # small: the CSV at once
    # Background jobs: each requester's own (a job nobody has is a 404 for all).
    Row("GET", "/jobs/", "/jobs/", EVERYONE, 200),
    Row("GET", "/jobs/<int:job_id>", "/jobs/999", EVERYONE, 404),
    Row("GET", "/jobs/<int:job_id>.json", "/jobs/999.json", EVERYONE, 404),
    Row("GET", "/jobs/<int:job_id>/download", "/jobs/999/download", EVERYONE, 404),
    Row("POST", "/jobs/<int:job_id>/cancel", "/jobs/999/cancel", EVERYONE, 404),
    Row("GET", "/review/", "/review/", MANAGERS, 200),
    Row("GET", "/reports/", "/reports/", MANAGERS, 200),
    Row("GET", "/reports/export/<name>.csv", "/reports/export/summary.csv", MANAGERS, 200),
    Row("GET", "/reports/daily", "/reports/daily?date=2026-11-23", MANAGERS, 200),
    Row("GET", "/wallboard/", "/wallboard/", MANAGERS, 200),
    Row("GET", "/wallboard/events", "/wallboard/events", MANAGERS, 200),
    # Monitoring: supervisors only; a form post names no agent (400), and there is no PBX to act on (503).
    Row("POST", "/wallboard/monitor", "/wallboard/monitor", MANAGERS, 400),
    Row("POST", "/wallboard/monitor/mode", "/wallboard/monitor/mode", MANAGERS, 400),
    Row("POST", "/wallboard/monitor/stop", "/wallboard/monitor/stop", MANAGERS, 503),
    Row("GET", "/recordings/<int:recording_id>", "/recordings/{r1}", {"ann", "sue", "quinn", "ada"}, 200),
    Row("GET", "/recordings/<int:recording_id>", "/recordings/{r2}", {"bob", "quinn", "ada"}, 200),
    Row("GET", "/admin/forms", "/admin/forms", ADMINS, 200),
    Row("GET", "/admin/forms/<slug>", "/admin/forms/support", ADMINS, 200),
    Row("POST", "/admin/forms/<slug>", "/admin/forms/support", ADMINS, 400),  # not a valid definition
    Row("POST", "/admin/users/<int:user_id>/token", "/admin/users/{sam}/token", ADMINS, 200),
    Row("GET", "/admin/users/<int:user_id>/tokens", "/admin/users/{sam}/tokens", ADMINS, 200),
    Row("POST", "/admin/tokens/<int:token_id>/revoke", "/admin/tokens/9999/revoke", ADMINS, 404),
    Row("GET", "/admin/audit", "/admin/audit", ADMINS, 200),
    # Data governance: supervisors look, the admin acts; an unconfirmed erasure is a 400.
    Row("GET", "/admin/erasure", "/admin/erasure?q=wang", MANAGERS, 200),
    Row("GET", "/admin/erasure/<int:customer_id>", "/admin/erasure/{cu}", MANAGERS, 200),
    Row("POST", "/admin/erasure/<int:customer_id>", "/admin/erasure/{cu}", ADMINS, 400),
    Row("GET", "/admin/retention", "/admin/retention", MANAGERS, 200),
    Row("POST", "/admin/retention/purge", "/admin/retention/purge", ADMINS, 303),
    # QA: agents open only their own calls; search, scoring and trends for reviewers; editing for QA and admin.
    Row("GET", "/qa/", "/qa/", REVIEWERS, 200),
    Row("GET", "/qa/calls/<int:call_id>", "/qa/calls/{c1}", {"ann", "sue", "quinn", "ada"}, 200),
    Row("GET", "/qa/calls/<int:call_id>", "/qa/calls/{c2}", {"bob", "quinn", "ada"}, 200),
    Row("GET", "/qa/calls/<int:call_id>/audio", "/qa/calls/{c1}/audio", {"ann", "sue", "quinn", "ada"}, 404),
    Row("POST", "/qa/calls/<int:call_id>/reviews", "/qa/calls/{c1}/reviews", {"sue", "quinn", "ada"}, 400),
    Row("GET", "/qa/agents", "/qa/agents", REVIEWERS, 200),
    Row("GET", "/qa/agents/<int:agent_id>", "/qa/agents/{ann}", REVIEWERS, 200),
    Row("GET", "/qa/agents/<int:agent_id>.csv", "/qa/agents/{ann}.csv", REVIEWERS, 200),
    Row("GET", "/qa/scorecards", "/qa/scorecards", QA_EDITORS, 200),
    Row("POST", "/qa/scorecards", "/qa/scorecards", QA_EDITORS, 400),  # empty checklist refused
    Row("GET", "/qa/scorecards/<slug>", "/qa/scorecards/none", QA_EDITORS, 404),
    Row("POST", "/qa/scorecards/<slug>", "/qa/scorecards/none", QA_EDITORS, 404),
    Row("GET", "/qa/rules", "/qa/rules", QA_EDITORS, 200),
    Row("POST", "/qa/rules", "/qa/rules", QA_EDITORS, 400),  # empty rule refused
    Row("POST", "/qa/rules/<int:rule_id>/toggle", "/qa/rules/999/toggle", QA_EDITORS, 404),
    Row("POST", "/qa/rules/apply", "/qa/rules/apply", QA_EDITORS, 303),
    # -- administration: users, teams, agent profiles, skills, wrap-up codes, CSV import --
    # The matrix's form posts name nothing these forms need: 400 (shown again, with why); no team,
    # skill or wrap-up code 999: 404.
    Row("GET", "/admin/", "/admin/", ADMINS, 200),
    Row("GET", "/admin/users", "/admin/users", ADMINS, 200),
    Row("POST", "/admin/users", "/admin/users", ADMINS, 400),  # no username
    Row("GET", "/admin/users/<int:user_id>", "/admin/users/{sam}", ADMINS, 200),
    Row("POST", "/admin/users/<int:user_id>/account", "/admin/users/{sam}/account", ADMINS, 303),
    Row("POST", "/admin/users/<int:user_id>/access", "/admin/users/{sam}/access", ADMINS, 400),  # no role
    Row("POST", "/admin/users/<int:user_id>/team", "/admin/users/{sam}/team", ADMINS, 303),  # no team: none
    Row("POST", "/admin/users/<int:user_id>/password", "/admin/users/{sam}/password", ADMINS, 200),
    Row("POST", "/admin/users/<int:user_id>/profile", "/admin/users/{sam}/profile", ADMINS, 400),  # no capacity
    Row("GET", "/admin/teams", "/admin/teams", ADMINS, 200),
    Row("POST", "/admin/teams", "/admin/teams", ADMINS, 400),  # no name
    Row("GET", "/admin/teams/<int:team_id>", "/admin/teams/999", ADMINS, 404),
    Row("POST", "/admin/teams/<int:team_id>", "/admin/teams/999", ADMINS, 404),
    Row("POST", "/admin/teams/<int:team_id>/members", "/admin/teams/999/members", ADMINS, 404),
    Row("POST", "/admin/teams/<int:team_id>/members/<int:user_id>/remove", "/admin/teams/999/members/{ann}/remove",
        ADMINS, 404),
    Row("POST", "/admin/teams/<int:team_id>/delete", "/admin/teams/999/delete", ADMINS, 404),
    Row("GET", "/admin/skills", "/admin/skills", ADMINS, 200),
    Row("POST", "/admin/skills", "/admin/skills", ADMINS, 400),  # no code
    Row("POST", "/admin/skills/<int:skill_id>", "/admin/skills/999", ADMINS, 404),
    Row("POST", "/admin/skills/<int:skill_id>/active", "/admin/skills/999/active", ADMINS, 404),
    Row("GET", "/admin/segments", "/admin/segments", MANAGERS, 200),
    Row("POST", "/admin/segments", "/admin/segments", MANAGERS, 400),  # no name, nothing to match
    Row("GET", "/admin/segments/<int:segment_id>", "/admin/segments/999", MANAGERS, 404),
    Row("POST", "/admin/segments/<int:segment_id>", "/admin/segments/999", MANAGERS, 404),
    Row("POST", "/admin/segments/<int:segment_id>/delete", "/admin/segments/999/delete", MANAGERS, 404),
    Row("GET", "/admin/webhooks", "/admin/webhooks", ADMINS, 200),
    Row("POST", "/admin/webhooks", "/admin/webhooks", ADMINS, 400),  # no name, no address
    Row("GET", "/admin/webhooks/<int:endpoint_id>", "/admin/webhooks/999", ADMINS, 404),
    Row("POST", "/admin/webhooks/<int:endpoint_id>", "/admin/webhooks/999", ADMINS, 404),
    Row("POST", "/admin/webhooks/<int:endpoint_id>/secret", "/admin/webhooks/999/secret", ADMINS, 404),
    Row("POST", "/admin/webhooks/<int:endpoint_id>/delete", "/admin/webhooks/999/delete", ADMINS, 404),
    Row("POST", "/admin/webhooks/<int:endpoint_id>/replay", "/admin/webhooks/999/replay", ADMINS, 404),
    Row("GET", "/admin/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>",
        "/admin/webhooks/999/deliveries/999", ADMINS, 404),
    Row("GET", "/admin/wrapup-codes", "/admin/wrapup-codes", ADMINS, 200),
    Row("POST", "/admin/wrapup-codes", "/admin/wrapup-codes", ADMINS, 400),  # no code
    Row("POST", "/admin/wrapup-codes/<int:code_id>", "/admin/wrapup-codes/999", ADMINS, 404),
    Row("POST", "/admin/wrapup-codes/<int:code_id>/active", "/admin/wrapup-codes/999/active", ADMINS, 404),
    Row("POST", "/admin/wrapup-codes/<int:code_id>/move", "/admin/wrapup-codes/999/move", ADMINS, 404),
    Row("GET", "/admin/import", "/admin/import", ADMINS, 200),
    Row("POST", "/admin/import", "/admin/import", ADMINS, 400),  # no file
    Row("POST", "/admin/import/apply", "/admin/import/apply", ADMINS, 400),  # no text: no username column

    # -- administration: queues --
    # Supervisors may look at queues (hours, targets, numbers); admins change them.  The matrix has no PBX.
    Row("GET", "/admin/queues", "/admin/queues", MANAGERS, 200),
    Row("POST", "/admin/queues/sync", "/admin/queues/sync", ADMINS, 303),  # "no PBX is configured"
    Row("GET", "/admin/queues/new", "/admin/queues/new", ADMINS, 200),
    Row("POST", "/admin/queues/new", "/admin/queues/new", ADMINS, 422),  # no name
    Row("GET", "/admin/queues/<name>/edit", "/admin/queues/support/edit", MANAGERS, 200),
    Row("POST", "/admin/queues/<name>/edit", "/admin/queues/support/edit", ADMINS, 303),  # nothing to change
    Row("POST", "/admin/queues/<name>/retire", "/admin/queues/support/retire", ADMINS, 303),  # the default: refused
    Row("POST", "/admin/queues/<name>/reinstate", "/admin/queues/sales/reinstate", ADMINS, 303),

    # -- forms editor, API reference --
    Row("POST", "/admin/forms", "/admin/forms", ADMINS, 400),  # no slug: the new-form card shows why
    Row("POST", "/admin/forms/<slug>/preview", "/admin/forms/support/preview", ADMINS, 200),  # checked: not valid
    Row("POST", "/admin/forms/<slug>/active", "/admin/forms/support/active", ADMINS, 400),  # neither on nor off
    # Public, like the OpenAPI document it renders (integrators often hold a token but no account).
    Row("GET", "/api-reference", "/api-reference", PUBLIC, 200),

    # -- desk lifecycle --
    Row("GET", "/desk/pops", "/desk/pops", DESK, 200),
    Row("GET", "/desk/tickets", "/desk/tickets?q=Router", DESK, 200),
    Row("POST", "/desk/calls/<int:call_id>/no-ticket", "/desk/calls/{c1}/no-ticket", {"ann", "sue", "ada"}, 422),
    Row("POST", "/desk/calls/<int:call_id>/attach", "/desk/calls/{c1}/attach", {"ann", "sue", "ada"}, 422),

    # -- homes, checklist, lists --

    # -- webform
    # The public contact form: anyone; the matrix's post fills none of its fields (400, shown again with why).
    Row("GET", "/contact", "/contact", PUBLIC, 200),
    Row("POST", "/contact", "/contact", PUBLIC, 400),
    # -- wechat-sms
    # Called by WeChat and the SMS gateway, signed instead of signed in; the shop has both channels off: 404.
    Row("GET", "/channels/wechat/callback", "/channels/wechat/callback", PUBLIC, 404),
    Row("POST", "/channels/wechat/callback", "/channels/wechat/callback", PUBLIC, 404),
    Row("POST", "/channels/sms/inbound", "/channels/sms/inbound", PUBLIC, 404),
    Row("POST", "/channels/sms/status", "/channels/sms/status", PUBLIC, 404),
    # -- customers-merge
    # The customer page for the desk roles; merging for supervisors and admins (a post naming no customer: 400).
    Row("GET", "/customers/<int:customer_id>", "/customers/{cu}", DESK, 200),
    Row("GET", "/customers/<int:customer_id>/merge", "/customers/{cu}/merge?q=wang", MANAGERS, 200),
    Row("POST", "/customers/<int:customer_id>/merge", "/customers/{cu}/merge", MANAGERS, 400),
    # No tag typed: the refusal is flashed on the customer's page.
    Row("POST", "/customers/<int:customer_id>/tags", "/customers/{cu}/tags", DESK, 303),
    Row("POST", "/customers/<int:customer_id>/tags/remove", "/customers/{cu}/tags/remove", DESK, 303),
    # -- replies
    # A reply needs a channel (the matrix's post names none: 422); template 999 does not exist (404).
    Row("POST", "/tickets/<number>/replies", "/tickets/{t1}/replies", {"ann", "sue", "ada"}, 422),
    Row("GET", "/tickets/<number>/replies/templates/<int:template_id>", "/tickets/{t1}/replies/templates/999",
        {"ann", "sue", "ada"}, 404),
    # Reply templates: supervisors and admins manage them; the matrix's post names no template (400).
    Row("GET", "/admin/templates", "/admin/templates", MANAGERS, 200),
    Row("POST", "/admin/templates", "/admin/templates", MANAGERS, 400),
    Row("GET", "/admin/templates/<int:template_id>", "/admin/templates/999", MANAGERS, 404),
    Row("POST", "/admin/templates/<int:template_id>", "/admin/templates/999", MANAGERS, 404),
    Row("POST", "/admin/templates/<int:template_id>/variants", "/admin/templates/999/variants", MANAGERS, 404),
    Row("POST", "/admin/templates/<int:template_id>/variants/<int:variant_id>/delete",
        "/admin/templates/999/variants/1/delete", MANAGERS, 404),
    Row("POST", "/admin/templates/<int:template_id>/active", "/admin/templates/999/active", MANAGERS, 404),
    # -- knowledge base
    # Everyone reads (QA the published articles), the desk roles write drafts, supervisors and admins publish,
    # restore, review questions and set the categories, admins the dictionary.  The shop has no article or
    # question (999: 404); the matrix's post names no title, key or word (400), and its ticket is not solved
    # (a refusal said on the ticket page: 303).
    Row("GET", "/knowledge/", "/knowledge/?q=退款", EVERYONE, 200),
    Row("GET", "/knowledge/<int:article_id>", "/knowledge/999", EVERYONE, 404),
    Row("POST", "/knowledge/<int:article_id>/status", "/knowledge/999/status", MANAGERS, 404),
    Row("POST", "/knowledge/from-ticket/<number>", "/knowledge/from-ticket/{t1}", {"ann", "sue", "ada"}, 303),
    Row("GET", "/knowledge/new", "/knowledge/new", DESK, 200),
    Row("POST", "/knowledge/new", "/knowledge/new", DESK, 400),
    Row("GET", "/knowledge/<int:article_id>/edit", "/knowledge/999/edit", DESK, 404),
    Row("POST", "/knowledge/<int:article_id>/edit", "/knowledge/999/edit", DESK, 404),
    Row("GET", "/knowledge/<int:article_id>/history", "/knowledge/999/history", EVERYONE, 404),
    Row("POST", "/knowledge/<int:article_id>/history/<int:number>/restore", "/knowledge/999/history/1/restore",
        MANAGERS, 404),
    Row("GET", "/knowledge/questions", "/knowledge/questions", MANAGERS, 200),
    Row("POST", "/knowledge/questions/<int:variant_id>", "/knowledge/questions/999", MANAGERS, 400),
    Row("GET", "/admin/knowledge/categories", "/admin/knowledge/categories", MANAGERS, 200),
    Row("POST", "/admin/knowledge/categories", "/admin/knowledge/categories", MANAGERS, 400),
    Row("GET", "/admin/knowledge/dictionary", "/admin/knowledge/dictionary?try=宽带断网", ADMINS, 200),
    Row("POST", "/admin/knowledge/dictionary", "/admin/knowledge/dictionary", ADMINS, 400),
    Row("POST", "/admin/knowledge/dictionary/<int:word_id>/remove", "/admin/knowledge/dictionary/999/remove",
        ADMINS, 404),
    # -- kbdesk: the knowledge panel at the desk and on the ticket page
    # Suggestions for the desk roles; with a call (or a ticket, by id: tests/test_knowledge_desk.py), only
    # whoever may work on it (the shop has no articles: an empty answer).  The matrix's posts say neither
    # which suggestion nor "helpful": 422.
    Row("GET", "/desk/knowledge/suggest", "/desk/knowledge/suggest?q=refund", DESK, 200),
    Row("GET", "/desk/knowledge/suggest", "/desk/knowledge/suggest?call={c2}&context=pop", {"bob", "ada"}, 200),
    Row("GET", "/desk/knowledge/articles/<int:article_id>", "/desk/knowledge/articles/999", DESK, 404),
    Row("POST", "/desk/knowledge/mark", "/desk/knowledge/mark", DESK, 422),
    Row("POST", "/desk/knowledge/link", "/desk/knowledge/link", DESK, 422),
    # -- autoreply
    # The customer's yes or no to an auto-reply: public, the link's token instead of a sign-in (none sent: 404).
    Row("GET", "/kb/answer/<token>/<answer>", "/kb/answer/no-such-token-0123456789/yes", PUBLIC, 404),
    Row("POST", "/kb/answer/<token>/<answer>", "/kb/answer/no-such-token-0123456789/no", PUBLIC, 404),
    # -- kbreports
    # The calibration: supervisors and admins look and ask for a fit (a background job; back to the page).
    Row("GET", "/admin/knowledge/calibration", "/admin/knowledge/calibration", MANAGERS, 200),
    Row("POST", "/admin/knowledge/calibration", "/admin/knowledge/calibration", MANAGERS, 303),
    # The knowledge base's report and its tables as CSV: supervisors, admins and QA; no such table: 404.
    Row("GET", "/reports/knowledge", "/reports/knowledge", REVIEWERS, 200),
    Row("GET", "/reports/knowledge/export/<name>.csv", "/reports/knowledge/export/gaps.csv", REVIEWERS, 200),
    Row("GET", "/reports/knowledge/export/<name>.csv", "/reports/knowledge/export/nothing.csv", REVIEWERS, 404),

    # -- automation rules (admins) and the approvals queue (reviewers; the shop has neither: 999 is a 404)
    # The matrix's posts carry no text (refused with its problems: 400) and no decision.
    Row("GET", "/admin/rules", "/admin/rules", ADMINS, 200),
    Row("GET", "/admin/rules/new", "/admin/rules/new", ADMINS, 200),
    Row("POST", "/admin/rules/new", "/admin/rules/new", ADMINS, 400),
    Row("GET", "/admin/rules/<int:rule_id>", "/admin/rules/999", ADMINS, 404),
    Row("POST", "/admin/rules/<int:rule_id>", "/admin/rules/999", ADMINS, 404),
    Row("POST", "/admin/rules/preview", "/admin/rules/preview", ADMINS, 200),  # checked: not valid
    Row("POST", "/admin/rules/<int:rule_id>/active", "/admin/rules/999/active", ADMINS, 404),
    Row("POST", "/admin/rules/<int:rule_id>/move", "/admin/rules/999/move", ADMINS, 404),
    Row("POST", "/admin/rules/<int:rule_id>/delete", "/admin/rules/999/delete", ADMINS, 404),
    Row("GET", "/approvals/", "/approvals/", REVIEWERS, 200),
    Row("POST", "/approvals/<int:approval_id>", "/approvals/999", REVIEWERS, 404),

    # Last: it ends the session.
    Row("POST", "/auth/logout", "/auth/logout", EVERYONE, 302),
]
API = [
    Row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", PUBLIC, 200),
    Row("GET", "/api/v1/tickets", "/api/v1/tickets", EVERYONE, 200),
    Row("GET", "/api/v1/tickets/<number>", "/api/v1/tickets/{t1}", {"ann", "sue", "quinn", "ada"}, 200),
    Row("GET", "/api/v1/tickets/<number>", "/api/v1/tickets/{t2}", {"bob", "quinn", "ada"}, 200),
    Row("POST", "/api/v1/tickets", "/api/v1/tickets", DESK, 201, {"subject": "From the CRM", "priority": "high"}),
    Row("PATCH", "/api/v1/tickets/<number>", "/api/v1/tickets/{t1}", {"ann", "sue", "ada"}, 200,
        {"priority": "urgent"}),
    Row("GET", "/api/v1/tickets/<number>/timeline", "/api/v1/tickets/{t1}/timeline", {"ann", "sue", "quinn", "ada"},
        200),
    Row("POST", "/api/v1/tickets/<number>/references", "/api/v1/tickets/{t1}/references", {"ann", "sue", "ada"},
        422, {"system": "erp", "ref": "RMA-1", "url": "ftp://not-a-web-link"}),
    Row("GET", "/api/v1/tickets/by-reference", "/api/v1/tickets/by-reference?system=erp&ref=RMA-404", EVERYONE, 404),
    Row("GET", "/api/v1/tickets/<number>/timeline", "/api/v1/tickets/{t2}/timeline", {"bob", "quinn", "ada"}, 200),
    Row("POST", "/api/v1/tickets/<number>/notes", "/api/v1/tickets/{t1}/notes", {"ann", "sue", "ada"}, 201,
        {"body": "Customer asked for a call before noon."}),
    Row("GET", "/api/v1/tickets/<number>/attachments/<int:attachment_id>", "/api/v1/tickets/{t1}/attachments/999",
        {"ann", "sue", "quinn", "ada"}, 404),
    Row("GET", "/api/v1/calls", "/api/v1/calls", EVERYONE, 200),
    Row("GET", "/api/v1/calls/<int:call_id>", "/api/v1/calls/{c1}", {"ann", "sue", "quinn", "ada"}, 200),
    Row("GET", "/api/v1/calls/<int:call_id>", "/api/v1/calls/{c2}", {"bob", "quinn", "ada"}, 200),
    Row("GET", "/api/v1/calls/<int:call_id>/transcript", "/api/v1/calls/{c1}/transcript",
        {"ann", "sue", "quinn", "ada"}, 200),
    Row("GET", "/api/v1/calls/<int:call_id>/transcript", "/api/v1/calls/{c2}/transcript",
        {"bob", "quinn", "ada"}, 200),
    Row("GET", "/api/v1/customers", "/api/v1/customers", DESK, 200),
    Row("GET", "/api/v1/customers/<int:customer_id>", "/api/v1/customers/{cu}", DESK, 200),
    Row("POST", "/api/v1/customers", "/api/v1/customers", DESK, 422, {"name": "Li", "phones": ["not a number"]}),
    Row("POST", "/api/v1/customers/sync", "/api/v1/customers/sync", MANAGERS, 200,
        {"customers": [{"external_ref": "matrix-1", "phones": ["not a number"]}]}),  # refused in the answer
    Row("GET", "/api/v1/callbacks", "/api/v1/callbacks", DESK, 200),
    Row("POST", "/api/v1/callbacks", "/api/v1/callbacks", DESK, 422,
        {"number": "+12025550143", "due_at": "2026-12-01T10:00:00"}),  # no time zone
    Row("GET", "/api/v1/surveys", "/api/v1/surveys", REVIEWERS, 200),
    Row("GET", "/api/v1/transcripts/search", "/api/v1/transcripts/search?q=refund", REVIEWERS, 200),
    # -- administration API: users, teams, agent profiles, skills, wrap-up codes --
    Row("GET", "/api/v1/users", "/api/v1/users?q=a", ADMINS, 200),
    Row("GET", "/api/v1/users/<int:user_id>", "/api/v1/users/{ann}", ADMINS, 200),
    Row("POST", "/api/v1/users", "/api/v1/users", ADMINS, 201, {"username": "newbie", "email": "new@example.com"}),
    Row("PATCH", "/api/v1/users/<int:user_id>", "/api/v1/users/{sam}", ADMINS, 200, {"display_name": "Sam S."}),
    Row("GET", "/api/v1/users/<int:user_id>/profile", "/api/v1/users/{ann}/profile", ADMINS, 200),
    Row("PUT", "/api/v1/users/<int:user_id>/profile", "/api/v1/users/{ann}/profile", ADMINS, 200,
        {"sip_interface": "PJSIP/agent1001", "languages": ["zh"], "capacity": 10, "queues": {"support": 1}}),
    Row("GET", "/api/v1/teams", "/api/v1/teams", ADMINS, 200),
    Row("GET", "/api/v1/teams/<int:team_id>", "/api/v1/teams/999", ADMINS, 404),
    Row("POST", "/api/v1/teams", "/api/v1/teams", ADMINS, 201, {"name": "API team", "members": [1]}),
    Row("PATCH", "/api/v1/teams/<int:team_id>", "/api/v1/teams/999", ADMINS, 404, {"name": "Renamed"}),
    Row("GET", "/api/v1/skills", "/api/v1/skills", ADMINS, 200),
    Row("POST", "/api/v1/skills", "/api/v1/skills", ADMINS, 201, {"name": "billing", "name_zh": "账单"}),
    Row("PATCH", "/api/v1/skills/<int:skill_id>", "/api/v1/skills/999", ADMINS, 404, {"active": False}),
    Row("GET", "/api/v1/wrapup-codes", "/api/v1/wrapup-codes", ADMINS, 200),
    Row("POST", "/api/v1/wrapup-codes", "/api/v1/wrapup-codes", ADMINS, 201, {"code": "api_code", "label": "API"}),
    Row("PATCH", "/api/v1/wrapup-codes/<int:code_id>", "/api/v1/wrapup-codes/1", ADMINS, 200, {"position": 3}),

    # -- administration API: queues --
    Row("GET", "/api/v1/queues", "/api/v1/queues", ADMINS, 200),
    Row("GET", "/api/v1/queues/<name>", "/api/v1/queues/support", ADMINS, 200),
    Row("POST", "/api/v1/queues", "/api/v1/queues", ADMINS, 422, {"name": "Not A Name"}),
    Row("PATCH", "/api/v1/queues/<name>", "/api/v1/queues/support", ADMINS, 200, {"service_level_target": 85}),

    # -- customers-merge
    # Merging for supervisors and admins; a field that cannot be taken is a 422 before anything moves.
    Row("POST", "/api/v1/customers/<int:customer_id>/merge", "/api/v1/customers/{cu}/merge", MANAGERS, 422,
        {"other_id": 999999, "take": ["id"]}),
    # -- replies
    Row("POST", "/api/v1/tickets/<number>/replies", "/api/v1/tickets/{t1}/replies", {"ann", "sue", "ada"}, 201,
        {"channel": "sms", "body": "您好，工程师今天下午上门。"}),
    Row("GET", "/api/v1/templates", "/api/v1/templates", DESK, 200),
    # -- knowledge base (the shop has no article: 999 is a 404 for those who may ask)
    Row("GET", "/api/v1/knowledge/articles", "/api/v1/knowledge/articles?q=refund", EVERYONE, 200),
    Row("GET", "/api/v1/knowledge/articles/<int:article_id>", "/api/v1/knowledge/articles/999", EVERYONE, 404),
    Row("POST", "/api/v1/knowledge/articles", "/api/v1/knowledge/articles", DESK, 201,
        {"versions": {"zh": {"title": "如何申请退款"}}, "questions": [{"locale": "zh", "text": "我要退款"}]}),
    Row("PUT", "/api/v1/knowledge/articles/<int:article_id>", "/api/v1/knowledge/articles/999", DESK, 404,
        {"versions": {"en": {"title": "Refunds"}}}),
    Row("PATCH", "/api/v1/knowledge/articles/<int:article_id>", "/api/v1/knowledge/articles/999", DESK, 404,
        {"tags": ["refund"]}),
    Row("POST", "/api/v1/knowledge/articles/<int:article_id>/status", "/api/v1/knowledge/articles/999/status",
        MANAGERS, 404, {"status": "published"}),
    # -- kbdesk
    Row("GET", "/api/v1/knowledge/suggest", "/api/v1/knowledge/suggest?q=refund", DESK, 200),
    Row("GET", "/api/v1/knowledge/suggest", "/api/v1/knowledge/suggest?ticket={t2}", {"bob", "ada"}, 200),
    Row("GET", "/api/v1/knowledge/suggest", "/api/v1/knowledge/suggest?call={c1}", {"ann", "sue", "ada"}, 200),
]


def _url(row: Row, shop) -> str:
    return row.url.format(t1=shop.ticket_number, t2=shop.other_ticket_number, c1=shop.call_id,
                          c2=shop.other_call_id, r1=shop.recording_id, r2=shop.other_recording_id,
                          cu=shop.customer_id, ann=shop.users["ann"], sam=shop.users["sam"])


def _denials(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.outcome == "denied")) or 0


def test_every_route_has_a_row(app) -> None:
    """A route nobody wrote a row for fails here: decide who may use it, then add the row."""
    served = {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - IGNORED_METHODS}
    listed = {(row.method, row.rule) for row in PAGES + API}
    assert served - listed == set(), "routes without a row in the access matrix"
    assert listed - served == set(), "rows for routes the app does not have"


def test_every_row_reaches_its_route(app, shop) -> None:
    adapter = app.url_map.bind("localhost")
    by_endpoint = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    for row in PAGES + API:
        endpoint, _ = adapter.match(_url(row, shop).split("?")[0], method=row.method)
        assert by_endpoint[endpoint] == row.rule, row


def _call(client, row: Row, url: str, token: str) -> Any:
    if row.method == "GET":
        resp = client.get(url)
    else:
        resp = client.open(url, method=row.method, data={"csrf_token": token, "body": "checked", "status": "open"})
    resp.close()  # streams (desk, wallboard) are not read to their end
    return resp


@pytest.mark.parametrize("who", ROLES)
def test_pages(app, shop, session_factory, who: str) -> None:
    client = app.test_client()
    sign_in(client, who, PASSWORD)
    token = csrf_token(client, "/tickets/")
    for row in PAGES:
        url = _url(row, shop)
        before = _denials(session_factory)
        resp = _call(client, row, url, token)
        if who in row.allowed or row.allowed is PUBLIC:
            assert resp.status_code == row.ok, (who, row.method, url, resp.status_code)
        else:
            assert resp.status_code == 403, (who, row.method, url, resp.status_code)
            assert _denials(session_factory) == before + 1, ("refusal not audited", who, url)


@pytest.mark.parametrize("who", ROLES)
def test_api(client, shop, session_factory, who: str) -> None:
    headers = {"Authorization": f"Bearer {shop.tokens[who]}"}
    for row in API:
        url = _url(row, shop)
        before = _denials(session_factory)
        resp = client.open(url, method=row.method, headers=headers, json=row.body or None)
        if who in row.allowed or row.allowed is PUBLIC:
            assert resp.status_code == row.ok, (who, row.method, url, resp.status_code, resp.get_json())
        else:
            assert resp.status_code in (403, 404), (who, row.method, url, resp.status_code)
            assert resp.get_json()["error"] in ("forbidden", "not_found")
            assert _denials(session_factory) == before + 1, ("refusal not audited", who, url)


def test_anonymous_gets_nothing(client, shop) -> None:
    for row in PAGES:
        if row.allowed is PUBLIC:
            continue
        resp = client.open(_url(row, shop), method=row.method)
        assert resp.status_code in (302, 400), row  # to sign-in, or CSRF refusal for a POST
        if resp.status_code == 302:
            assert "/auth/login" in resp.headers["Location"]
    for row in API:
        if row.allowed is not PUBLIC:
            assert client.open(_url(row, shop), method=row.method).status_code == 401, row
    bad = client.get("/api/v1/tickets", headers={"Authorization": "Bearer cc_not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["error"] == "unauthorized"
    assert client.get("/healthz").status_code == 200 and client.get("/api/v1/openapi.json").status_code == 200
