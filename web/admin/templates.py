"""Reply templates and macros in the admin pages (supervisors and admins): the list, a new one, its
settings and its variants per channel and language (an SMS variant with the live counter), deactivation."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from callcenter.access import roles
from callcenter.conversations import rendering
from callcenter.conversations.service import REPLY_CHANNELS
from callcenter.conversations.templates import Templates
from callcenter.models import Priority, ReplyTemplate, TemplateKind, TicketStatus

from ..auth.access import actor, roles_required
from ..db import get_db
from .pages import row_or_404, saved, with_status
from .routes import bp

FIELDS = ("name", "kind", "set_status", "set_priority", "add_tags", "channel", "language", "subject", "body",
          "body_html")


def _service() -> Templates:
    found: Templates = current_app.extensions["container"].templates
    return found


def _text(name: str, limit: int = 300) -> str:
    return request.form.get(name, "")[:limit]


def _kind() -> TemplateKind:
    return TemplateKind.MACRO if request.form.get("kind") == TemplateKind.MACRO.value else TemplateKind.TEMPLATE


def _tags() -> list[str]:
    return [t for t in _text("add_tags", 500).replace(",", " ").split() if t]


def _typed(errors: dict[str, str]) -> dict[str, str]:
    return {k: request.form.get(k, "") for k in FIELDS} if errors else {}


def _list(errors: dict[str, str]) -> ResponseReturnValue:
    return with_status(render_template("admin/templates.html", templates=_service().listing(get_db()),
                                       typed=_typed(errors), errors=errors, **_choices()), bool(errors))


def _edit(template: ReplyTemplate, errors: dict[str, str]) -> ResponseReturnValue:
    return with_status(render_template("admin/template_edit.html", template=template, typed=_typed(errors),
                                       errors=errors, variables=rendering.variable_names(), **_choices()),
                       bool(errors))


def _choices() -> dict[str, Any]:
    return {"kinds": list(TemplateKind), "statuses": list(TicketStatus), "priorities": list(Priority),
            "channels": list(REPLY_CHANNELS)}


@bp.route("/templates")
@roles_required(roles.MANAGERS)
def templates_page() -> ResponseReturnValue:
    return _list({})


@bp.route("/templates", methods=["POST"])
@roles_required(roles.MANAGERS)
def add_template() -> ResponseReturnValue:
    made: list[ReplyTemplate] = []
    return saved(lambda: made.append(_service().create(
        get_db(), actor(), name=_text("name", 200), kind=_kind(), set_status=_text("set_status", 20),
        set_priority=_text("set_priority", 20), add_tags=_tags())), _list,
        _("Template %(s)s added; now write its text for each channel.", s=_text("name", 60)),
        lambda: url_for("admin.template_page", template_id=made[0].id))


@bp.route("/templates/<int:template_id>")
@roles_required(roles.MANAGERS)
def template_page(template_id: int) -> ResponseReturnValue:
    return _edit(row_or_404(ReplyTemplate, template_id), {})


@bp.route("/templates/<int:template_id>", methods=["POST"])
@roles_required(roles.MANAGERS)
def edit_template(template_id: int) -> ResponseReturnValue:
    template = row_or_404(ReplyTemplate, template_id)
    return saved(lambda: _service().update(
        get_db(), template, actor(), name=_text("name", 200), kind=_kind(), set_status=_text("set_status", 20),
        set_priority=_text("set_priority", 20), add_tags=_tags()), lambda e: _edit(template, e),
        _("Template %(s)s saved.", s=template.name), lambda: url_for("admin.template_page", template_id=template_id))


@bp.route("/templates/<int:template_id>/variants", methods=["POST"])
@roles_required(roles.MANAGERS)
def save_variant(template_id: int) -> ResponseReturnValue:
    template = row_or_404(ReplyTemplate, template_id)
    form = request.form
    return saved(lambda: _service().save_variant(
        get_db(), template, actor(), channel=_text("channel", 20), language=_text("language", 20),
        subject=_text("subject"), body=form.get("body", ""), body_html=form.get("body_html") or None),
        lambda e: _edit(template, e), _("Variant saved."),
        lambda: url_for("admin.template_page", template_id=template_id))


@bp.route("/templates/<int:template_id>/variants/<int:variant_id>/delete", methods=["POST"])
@roles_required(roles.MANAGERS)
def remove_variant(template_id: int, variant_id: int) -> ResponseReturnValue:
    template = row_or_404(ReplyTemplate, template_id)
    db = get_db()
    if not _service().remove_variant(db, template, actor(), variant_id):
        abort(404)
    db.commit()
    flash(_("Variant removed."), "success")
    return redirect(url_for("admin.template_page", template_id=template_id), 303)


@bp.route("/templates/<int:template_id>/active", methods=["POST"])
@roles_required(roles.MANAGERS)
def template_active(template_id: int) -> ResponseReturnValue:
    template = row_or_404(ReplyTemplate, template_id)
    active = request.form.get("active") == "1"
    return saved(lambda: _service().set_active(get_db(), template, actor(), active), _list,
                  _("Template %(s)s restored.", s=template.name) if active
                  else _("Template %(s)s deactivated.", s=template.name), lambda: url_for("admin.templates_page"))
