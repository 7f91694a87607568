"""Importing agents from a CSV file in the admin pages: upload, a preview of every line, then apply.

The preview page carries the file's text and the plan's digest in its
apply form, so nothing is kept on the server between the two steps and
what is applied is exactly what was previewed (a changed plan is shown
again instead).  A few hundred lines preview and apply within one request;
the new users' one-time passwords are shown once, on a page no cache keeps.
"""
from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from callcenter.access import roles
from callcenter.people import csvfile, imports
from callcenter.people.csvfile import CsvError

from ..auth.access import actor, roles_required
from ..db import get_db
from ..messages import refusal
from .pages import NO_STORE, profiles, refused, with_status
from .routes import bp

# The columns' names in the reader's language (the file keeps the English ones).
COLUMNS = {"username": _l("Username"), "display_name": _l("Name"), "email": _l("E-mail"), "role": _l("Role"),
           "team": _l("Team"), "sip_interface": _l("Desk phone"), "extension": _l("Softphone extension"),
           "skills": _l("Skills"), "languages": _l("Languages"), "capacity": _l("Capacity"),
           "seniority": _l("Seniority"), "queues": _l("Queues")}
ACTIONS = {"create": _l("Create"), "update": _l("Update"), "unchanged": _l("Unchanged"), "error": _l("Error")}
# The import page's help: each column, what it holds, an example (the file's own words stay as they are).
HELP = [("username", _l("The user's sign-in name (required)."), "li.na"), ("display_name", _l("Name"), "李娜"),
        ("email", _l("E-mail"), "li.na@example.com"),
        ("role", _l("Role; new users are agents when it is empty."), "agent / supervisor / qa / admin"),
        ("team", _l("A team that exists already."), "Support team"),
        ("sip_interface", _l("Desk phone"), "PJSIP/agent1001"), ("extension", _l("Softphone extension"), "1001"),
        ("skills", _l("Skill codes, each with a level from 1 to 5, separated by ;"), "support:3;billing:1"),
        ("languages", _l("Languages the agent speaks, separated by ;"), "zh;en"),
        ("capacity", _l("Open tickets at once (0-500)."), "20"),
        ("seniority", _l("From 1 (junior) to 5 (senior)."), "2"),
        ("queues", _l("Queues, each with a penalty (0 when left out), separated by ;"), "support;sales:2")]


def _form(errors: dict[str, str] | None = None) -> ResponseReturnValue:
    return with_status(render_template("admin/import.html", columns=csvfile.COLUMNS, help=HELP, errors=errors or {},
                                       max_size=csvfile.size_text(), max_rows=csvfile.MAX_ROWS), bool(errors))


def _preview(plan: imports.Plan, status: int = 200) -> ResponseReturnValue:
    return render_template("admin/import_preview.html", plan=plan, counts=plan.counts(), columns=COLUMNS,
                           actions=ACTIONS, say=refusal), status, NO_STORE


@bp.route("/import")
@roles_required(roles.ADMINS)
def import_page() -> ResponseReturnValue:
    return _form()


@bp.route("/import", methods=["POST"])
@roles_required(roles.ADMINS)
def import_preview() -> ResponseReturnValue:
    """The dry run: every line's action and reasons; nothing is stored."""
    db = get_db()
    upload = request.files.get("file")
    data = upload.read(csvfile.MAX_BYTES + 1) if upload else b""
    if not data:
        return _form({"file": _("Choose a CSV file.")})
    try:
        plan = imports.preview(db, data, request.form.get("encoding", "auto")[:20])
    except CsvError as exc:
        return _form(refused(db, exc))
    db.rollback()
    return _preview(plan)


@bp.route("/import/apply", methods=["POST"])
@roles_required(roles.ADMINS)
def import_apply() -> ResponseReturnValue:
    db = get_db()
    text = request.form.get("text", "")
    try:
        plan, passwords = imports.apply(db, text, actor(), profiles(), request.form.get("digest", ""))
    except imports.ImportRefused as exc:
        refused(db, exc)
        return _preview(exc.plan, 409)
    except CsvError as exc:
        return _form(refused(db, exc))
    db.commit()
    return render_template("admin/import_done.html", counts=plan.counts(), passwords=passwords), 200, NO_STORE
