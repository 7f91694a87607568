"""Replying from the ticket page: send (or write an internal note), and fill a template in for this ticket.

Only someone who may change the ticket replies (``routes._editable``: agents on their tickets,
supervisors for their teams, admins).  A refused reply shows the page again with the text as typed.
"""
from __future__ import annotations

from flask import current_app, flash, g, jsonify, make_response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles
from callcenter.i18n import Refusal
from callcenter.models import Channel
from callcenter.wiring import Container

from ..auth.access import actor, roles_required, user
from ..db import get_db
from ..messages import refusal
from .routes import _editable, bp, detail

TYPED = ("channel", "subject", "body", "template_id", "internal")


def _container() -> Container:
    found: Container = current_app.extensions["container"]
    return found


def _template_id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/<number>/replies", methods=["POST"])
@roles_required(roles.DESK)
def send_reply(number: str) -> ResponseReturnValue:
    db = get_db()
    ticket = _editable(number)
    form = request.form
    internal = form.get("internal") == "1"
    try:
        sent = _container().replies.send(db, ticket, actor(), channel=form.get("channel", ""),
                                         body=form.get("body", ""), subject=form.get("subject", "")[:300],
                                         template_id=_template_id(form.get("template_id")), internal=internal)
    except Refusal as exc:
        db.rollback()
        flash(refusal(exc), "error")
        g.reply_typed = {k: form.get(k, "") for k in TYPED}
        page = make_response(detail(number))
        page.status_code = 422
        return page
    db.commit()
    flash(_("Internal note added.") if sent.note is not None else _("Reply queued for sending."), "success")
    return redirect(url_for("tickets.detail", number=number, _anchor="conversation"), 303)


@bp.route("/<number>/replies/templates/<int:template_id>")
@roles_required(roles.DESK)
def reply_template(number: str, template_id: int) -> ResponseReturnValue:
    """The template filled in for this ticket and channel (the reply form's picker fetches it)."""
    db = get_db()
    ticket = _editable(number)
    channel = next((c for c in Channel if c.value == request.args.get("channel")), Channel.EMAIL)
    templates = _container().templates
    try:
        rendered = templates.render(db, templates.usable(db, template_id), ticket, user(), channel)
    except Refusal as exc:
        return jsonify(error=refusal(exc)), 404 if exc.code == "not_found" else 422
    return jsonify(subject=rendered.subject, body=rendered.body, channel=rendered.channel.value,
                   language=rendered.language, macro=rendered.template.kind.value == "macro")
